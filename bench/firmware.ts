/** Firmware figures: the uploaded bundle's size. */
import { buildFirmware, UPLOAD_BUDGET_BYTES } from "../tools/build/build";
import { Figure } from "./figure";

export async function firmwareFigures(): Promise<Figure[]> {
  const build = await buildFirmware();
  if (!build.compiled) throw new Error("firmware does not compile:\n" + build.errors.join("\n"));
  return [
    { id: "bundle_bytes", label: "uploaded firmware size (minified)", value: build.minifiedBytes, unit: "bytes", budget: UPLOAD_BUDGET_BYTES, better: "lower" },
  ];
}
