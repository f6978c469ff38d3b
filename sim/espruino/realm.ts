/**
 * The intrinsics of one JavaScript realm. Values the host hands to firmware code (ArrayBuffers, parsed JSON,
 * thrown errors) are built from the firmware context's own constructors, so `instanceof` and prototypes
 * behave inside the `vm` context as they would on the device.
 */
import vm from "node:vm";

/** Constructors of one realm. */
export interface Realm {
  readonly Object: ObjectConstructor;
  readonly Array: ArrayConstructor;
  readonly ArrayBuffer: ArrayBufferConstructor;
  readonly Uint8Array: Uint8ArrayConstructor;
  readonly Error: ErrorConstructor;
  readonly TypeError: TypeErrorConstructor;
  readonly SyntaxError: SyntaxErrorConstructor;
}

/** The host's own realm (for host-side use and tests). */
export const HOST_REALM: Realm = { Object, Array, ArrayBuffer, Uint8Array, Error, TypeError, SyntaxError };

/** The realm of a `vm` context. */
export function contextRealm(context: vm.Context): Realm {
  return vm.runInContext("({ Object, Array, ArrayBuffer, Uint8Array, Error, TypeError, SyntaxError })", context) as Realm;
}

/** A realm ArrayBuffer holding a copy of `bytes`. */
export function realmArrayBuffer(realm: Realm, bytes: Uint8Array): ArrayBuffer {
  const buffer = new realm.ArrayBuffer(bytes.length);
  new realm.Uint8Array(buffer).set(bytes);
  return buffer;
}
