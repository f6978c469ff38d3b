/** `npm run build [-- --debug]`: builds the firmware, prints its upload size against the budget, fails on any problem. */
import { Command } from "commander";
import { displayPath } from "./compile";
import { buildFailures, buildFirmware, UPLOAD_BUDGET_BYTES } from "./build";

async function main(): Promise<number> {
  const options = new Command("build")
    .description("Compile the firmware to one Espruino script (dist/tag.js), minify it (dist/tag.min.js) and pretokenise it as uploaded (dist/tag.bootcde)")
    .option("--debug", "debug build: DEBUG_BUILD is true (BLE console kept); writes dist/tag.debug*.js")
    .parse()
    .opts<{ debug?: boolean }>();

  const build = await buildFirmware({ debug: options.debug });
  if (build.compiled) {
    build.warnings.forEach((warning) => console.warn(`warning: ${warning}`));
    const percent = Math.round((100 * build.uploadBytes) / UPLOAD_BUDGET_BYTES);
    console.log(`${displayPath(build.bundlePath)}: ${build.bundleBytes} bytes`);
    console.log(`${displayPath(build.minifiedPath)}: ${build.minifiedBytes} bytes`);
    console.log(`${displayPath(build.uploadPath)}: ${build.uploadBytes} of ${UPLOAD_BUDGET_BYTES} bytes (${percent} %), as uploaded (pretokenised)`);
  }
  const failures = buildFailures(build);
  failures.forEach((failure) => console.error(failure));
  if (failures.length > 0) console.error(`firmware build failed: ${failures.length} problem(s)`);
  return failures.length > 0 ? 1 : 0;
}

main().then((code) => { process.exitCode = code; });
