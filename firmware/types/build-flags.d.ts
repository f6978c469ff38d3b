/** Defined by the build (tools/build): true in a debug build, which keeps the BLE console for development. */
declare const DEBUG_BUILD: boolean;
