/** Firmware TypeScript → ES5 modules, with the TypeScript API and the project's own tsconfig. */
import * as fs from "node:fs";
import * as path from "node:path";
import ts from "typescript";

/** Either the directory holding the compiled modules, or every diagnostic as `file:line:col: error TSnnnn: message`. */
export type FirmwareCompilation = { compiled: true; outDir: string } | { compiled: false; errors: string[] };

/** Type-checks the project of `tsconfigPath` and, when it has no errors, emits it afresh into its `outDir`. */
export function compileFirmware(tsconfigPath: string): FirmwareCompilation {
  const configErrors: ts.Diagnostic[] = [];
  const config = ts.getParsedCommandLineOfConfigFile(tsconfigPath, undefined, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (diagnostic) => configErrors.push(diagnostic),
  });
  if (!config) return { compiled: false, errors: configErrors.map(formatDiagnostic) };
  const outDir = config.options.outDir;
  if (!outDir) return { compiled: false, errors: [`${displayPath(tsconfigPath)}: compilerOptions.outDir is required`] };

  const program = ts.createProgram({ rootNames: config.fileNames, options: config.options });
  const errors = [...config.errors, ...ts.getPreEmitDiagnostics(program)].filter(isError);
  if (errors.length > 0) return { compiled: false, errors: errors.map(formatDiagnostic) };

  // Afresh, so that a module deleted from the source cannot linger in the output.
  fs.rmSync(outDir, { recursive: true, force: true });
  const emitErrors = program.emit().diagnostics.filter(isError);
  if (emitErrors.length > 0) return { compiled: false, errors: emitErrors.map(formatDiagnostic) };
  return { compiled: true, outDir };
}

/** A path relative to the working directory when it lies inside it, else absolute. */
export function displayPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative.startsWith("..") || path.isAbsolute(relative) ? path.resolve(file) : relative;
}

function isError(diagnostic: ts.Diagnostic): boolean {
  return diagnostic.category === ts.DiagnosticCategory.Error;
}

function formatDiagnostic(diagnostic: ts.Diagnostic): string {
  const text = `error TS${diagnostic.code}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n")}`;
  if (!diagnostic.file || diagnostic.start === undefined) return text;
  const { line, character } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
  return `${displayPath(diagnostic.file.fileName)}:${line + 1}:${character + 1}: ${text}`;
}
