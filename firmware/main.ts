const storage = require("Storage");
export function hello(n: number): number { return n + storage.getFree(); }
setTimeout(function () { LED2.write(true); }, 10);
