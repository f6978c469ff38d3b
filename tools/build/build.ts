/**
 * The firmware build: TypeScript → ES5 modules (compile.ts) → one plain script, `dist/tag.js` (rollup) →
 * `dist/tag.min.js` (terser), both checked against the Espruino subset (subset.ts) → the bytes that land
 * in the tag's `.bootcde` when EspruinoTools uploads it with PRETOKENISE, `dist/tag.bootcde`
 * (pretokenise.ts): the upload form, measured against the budget and flashed by the tests.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { rollup } from "rollup";
import { minify } from "terser";
import { compileFirmware, displayPath } from "./compile";
import { pretokenise } from "./pretokenise";
import { checkEspruinoSubset, type SubsetViolation } from "./subset";

/** The uploaded (minified, pretokenised) firmware may take at most this many bytes (DESIGN.md "Boards and budgets"). */
export const UPLOAD_BUDGET_BYTES = 16384;

const REPO_ROOT = path.resolve(__dirname, "../..");
const DEFAULT_PROJECT = path.join(REPO_ROOT, "firmware/tsconfig.json");
const DEFAULT_DIST_DIR = path.join(REPO_ROOT, "dist");
/** The compiled module the bundle starts from, inside the project's outDir. */
const ENTRY_MODULE = "main.js";

/**
 * Espruino globals whose names top-level mangling could produce (one or two characters): the `E` object
 * and the nRF52 pin names. Mangling a firmware name to one of them would hide the built-in.
 */
const ESPRUINO_SHORT_GLOBALS = ["E"].concat(
  Array.from({ length: 32 }, (_, i) => "D" + i),
  Array.from({ length: 8 }, (_, i) => "A" + i),
);

/** How to build. */
export interface FirmwareBuildOptions {
  /** Debug build: `DEBUG_BUILD` is true (keeps the BLE console); outputs are named `tag.debug.*`. */
  debug?: boolean;
  /** The firmware TypeScript project; default `firmware/tsconfig.json`. */
  project?: string;
  /** Where the bundles are written; default `dist/`. */
  distDir?: string;
}

/** A firmware build: type errors, or the two bundles with their sizes and subset violations. */
export type FirmwareBuild =
  | { compiled: false; errors: string[] }
  | {
      compiled: true;
      /** The readable bundle. */
      bundlePath: string;
      /** The minified bundle, the file given to EspruinoTools. */
      minifiedPath: string;
      /** Its pretokenised bytes: what the tag stores as `.bootcde`, measured against UPLOAD_BUDGET_BYTES. */
      uploadPath: string;
      bundleBytes: number;
      minifiedBytes: number;
      uploadBytes: number;
      /** Subset violations of both bundles. */
      violations: SubsetViolation[];
      /** Rollup's warnings, e.g. circular imports. */
      warnings: string[];
    };

/** Compiles, bundles, minifies and checks the firmware. */
export async function buildFirmware(options: FirmwareBuildOptions = {}): Promise<FirmwareBuild> {
  const debug = options.debug ?? false;
  const distDir = options.distDir ?? DEFAULT_DIST_DIR;
  const compilation = compileFirmware(options.project ?? DEFAULT_PROJECT);
  if (!compilation.compiled) return compilation;

  const warnings: string[] = [];
  const bundle = await rollup({
    input: path.join(compilation.outDir, ENTRY_MODULE),
    // The tag runs one plain script: the entry's exports have no one to be exported to.
    preserveEntrySignatures: false,
    onwarn: (warning) => warnings.push(warning.message),
  });
  // An ES bundle without imports or exports is a plain script; `intro` defines the build flag for it.
  // No Object.freeze on namespace objects: a call per namespace, for no gain on the tag.
  const { output } = await bundle.generate({ format: "es", intro: `var DEBUG_BUILD = ${debug};`, freeze: false });
  await bundle.close();
  const readable = output[0].code;

  const minified = await minify(readable, {
    ecma: 5,
    toplevel: true,
    // Espruino does not hoist function declarations: keep each where it is.
    compress: { hoist_funs: false, passes: 2 },
    mangle: { reserved: ESPRUINO_SHORT_GLOBALS },
    format: { ecma: 5, comments: false },
  });
  const minifiedCode = minified.code ?? "";

  const baseName = debug ? "tag.debug" : "tag";
  const bundlePath = path.join(distDir, baseName + ".js");
  const minifiedPath = path.join(distDir, baseName + ".min.js");
  const uploadPath = path.join(distDir, baseName + ".bootcde");
  const upload = pretokenise(minifiedCode);
  fs.mkdirSync(distDir, { recursive: true });
  fs.writeFileSync(bundlePath, readable);
  fs.writeFileSync(minifiedPath, minifiedCode);
  fs.writeFileSync(uploadPath, upload);

  return {
    compiled: true,
    bundlePath,
    minifiedPath,
    uploadPath,
    bundleBytes: Buffer.byteLength(readable),
    minifiedBytes: Buffer.byteLength(minifiedCode),
    uploadBytes: upload.length,
    violations: checkEspruinoSubset(readable, displayPath(bundlePath)).concat(
      checkEspruinoSubset(minifiedCode, displayPath(minifiedPath)),
    ),
    warnings,
  };
}

/** Every reason `build` fails, one line each: type errors, subset violations, an upload over budget. */
export function buildFailures(build: FirmwareBuild): string[] {
  if (!build.compiled) return build.errors;
  const failures = build.violations.map((v) => `${v.file}:${v.line}:${v.column}: ${v.message}`);
  if (build.uploadBytes > UPLOAD_BUDGET_BYTES) {
    failures.push(
      `${displayPath(build.uploadPath)} is ${build.uploadBytes} bytes, over the ${UPLOAD_BUDGET_BYTES}-byte upload budget ` +
        `by ${build.uploadBytes - UPLOAD_BUDGET_BYTES}`,
    );
  }
  return failures;
}
