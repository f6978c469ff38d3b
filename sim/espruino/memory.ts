/**
 * An estimate of the JsVars (13-byte blocks) a program holds on Espruino, for `process.memory()`.
 * It walks everything reachable from the program: its globals, the closures of its functions (read through
 * the V8 inspector, since closures are invisible to reflection) and the runtime's own records (timers,
 * watches, listeners, Bluetooth data, counted by the tag). Cost rules, after Espruino's src/jsvar.h:
 * - an object, array, function, scope or Date: 1 var, plus per property or element 1 name var (names longer
 *   than 4 characters take 1 more var per 12 characters);
 * - integers, booleans, null and undefined live inside the name var (0 more); any other number takes 1 var;
 * - a string: 1 var for its first 8 characters, then 1 per 12 more;
 * - ArrayBuffer data: like a string up to 20 bytes, else a flat string of 1 + ⌈bytes / 13⌉ vars; a typed
 *   array adds 1 var for the view and 1 for its ArrayBuffer;
 * - a function: 1 var, 1 per parameter name, 1 for its scope link if it closes over variables, and its code:
 *   1 var when the code sits in flash (functions parsed from `.bootcde`, which Espruino runs memory-mapped
 *   from Storage), else its source length as a string.
 * V8 keeps only the closure variables that inner functions use, where Espruino keeps a whole scope; the
 * interpreter's own fixed overhead (root, hidden root) is not included.
 */
import inspector from "node:inspector";
import { types } from "node:util";

const NAME_INLINE_CHARS = 4;
const STRING_FIRST_CHARS = 8;
const STRING_EXT_CHARS = 12;
const FLAT_STRING_MIN_BYTES = 21;
const FLAT_BLOCK_BYTES = 13;

/** Vars of a string of `length` characters. */
export function stringVars(length: number): number {
  return 1 + Math.ceil(Math.max(0, length - STRING_FIRST_CHARS) / STRING_EXT_CHARS);
}

/** Vars of a property name. */
export function nameVars(name: string): number {
  return 1 + Math.ceil(Math.max(0, name.length - NAME_INLINE_CHARS) / STRING_EXT_CHARS);
}

function bufferVars(bytes: number): number {
  return bytes < FLAT_STRING_MIN_BYTES ? stringVars(bytes) : 1 + Math.ceil(bytes / FLAT_BLOCK_BYTES);
}

/** What a program holds besides its globals. */
export interface MemoryRoots {
  /** Values the runtime keeps for the program (callbacks, advertising data, services...). */
  readonly values: readonly unknown[];
  /** Vars of the runtime's own records (timer and watch objects, listener names...). */
  readonly fixedVars: number;
}

/** Estimates the JsVars of one program in one `vm` context. */
export class JsVarEstimator {
  private readonly flashFunctions = new WeakMap<Function, boolean>();

  /**
   * @param context the program's global object
   * @param contextName the name the context was created with (to find it in the inspector)
   * @param builtins global names that belong to the runtime, not the program
   * @param flashCode the code Espruino ran from Storage (functions found in it keep their code in flash)
   * @param isRuntime whether a value belongs to the runtime (Espruino keeps those in firmware: no cost)
   */
  constructor(
    private readonly context: Record<string, unknown>,
    private readonly contextName: string,
    private readonly builtins: ReadonlySet<string>,
    private readonly flashCode: string,
    readonly isRuntime: (value: object) => boolean,
  ) {}

  /** JsVars in use by the program now. */
  estimate(roots: MemoryRoots): number {
    const walk = new Walk(this);
    let total = roots.fixedVars;
    for (const name of Object.getOwnPropertyNames(this.context)) {
      if (this.builtins.has(name)) continue;
      const descriptor = Object.getOwnPropertyDescriptor(this.context, name);
      if (!descriptor || !("value" in descriptor)) continue;
      total += nameVars(name) + walk.value(descriptor.value);
    }
    for (const value of roots.values) total += walk.value(value);
    return total + walk.closures();
  }

  /** Whether a function's source is part of the code run from flash. */
  isFlashFunction(fn: Function, source: string): boolean {
    let known = this.flashFunctions.get(fn);
    if (known === undefined) {
      known = source.length > 0 && this.flashCode.includes(source);
      this.flashFunctions.set(fn, known);
    }
    return known;
  }

  /** The closure variables of `fn` (name → value), through the inspector. */
  closureScopes(fn: Function): Map<string, unknown>[] {
    return Inspector.shared().closureScopes(this.context, this.contextName, fn);
  }
}

/** One estimate: visits each object once, gathers closure scopes as it goes. */
class Walk {
  private readonly seen = new Set<unknown>();
  private readonly pendingFunctions: Function[] = [];
  private readonly scopeKeys = new Set<string>();
  private readonly identities = new Map<unknown, number>();

  constructor(private readonly estimator: JsVarEstimator) {}

  /** Vars of a value held by a name (0 for values stored inside the name var). */
  value(v: unknown): number {
    switch (typeof v) {
      case "undefined":
      case "boolean":
        return 0;
      case "number":
        return Number.isInteger(v) && v >= -2147483648 && v <= 2147483647 ? 0 : 1;
      case "string":
        return stringVars(v.length);
      case "bigint":
      case "symbol":
        return 1;
      case "function":
        return this.function(v);
      case "object":
        return v === null ? 0 : this.object(v);
    }
    return 0;
  }

  /** Cost of closure scopes reached so far (walking them can reach more functions). */
  closures(): number {
    let total = 0;
    while (this.pendingFunctions.length > 0) {
      const fn = this.pendingFunctions.pop()!;
      for (const scope of this.estimator.closureScopes(fn)) {
        const key = this.scopeKey(scope);
        if (this.scopeKeys.has(key)) continue;
        this.scopeKeys.add(key);
        total += 1;
        for (const [name, value] of scope) total += nameVars(name) + this.value(value);
      }
    }
    return total;
  }

  private object(o: object): number {
    if (this.seen.has(o)) return 0;
    this.seen.add(o);
    if (this.estimator.isRuntime(o)) return 0;
    if (types.isArrayBuffer(o)) return 1 + bufferVars(o.byteLength);
    if (ArrayBuffer.isView(o)) {
      const buffer = o.buffer;
      const bufferCost = this.seen.has(buffer) ? 0 : (this.seen.add(buffer), 1 + bufferVars(buffer.byteLength));
      return 1 + bufferCost;
    }
    if (types.isDate(o)) return 2;
    if (types.isRegExp(o)) return 1 + stringVars((o as RegExp).source.length);
    let total = 1;
    if (Array.isArray(o)) {
      for (let i = 0; i < o.length; i++) if (i in o) total += 1 + this.value(o[i]);
      return total;
    }
    for (const key of Object.keys(o)) total += nameVars(key) + this.value((o as Record<string, unknown>)[key]);
    return total;
  }

  private function(fn: Function): number {
    if (this.seen.has(fn)) return 0;
    this.seen.add(fn);
    if (this.estimator.isRuntime(fn)) return 0; // the runtime's own functions live in firmware
    const source = Function.prototype.toString.call(fn);
    this.pendingFunctions.push(fn);
    const code = this.estimator.isFlashFunction(fn, source) ? 1 : stringVars(source.length);
    let total = 1 + fn.length + code;
    for (const key of Object.keys(fn)) total += nameVars(key) + this.value((fn as unknown as Record<string, unknown>)[key]);
    const prototype = (fn as { prototype?: object }).prototype;
    if (prototype && Object.keys(prototype).length > 0) total += nameVars("prototype") + this.value(prototype);
    return total;
  }

  /** Scopes shared by several functions are counted once: identify them by their variables' values. */
  private scopeKey(scope: Map<string, unknown>): string {
    const parts: string[] = [];
    for (const [name, value] of scope) {
      const identity = typeof value === "object" || typeof value === "function" ? "#" + this.identity(value) : typeof value + ":" + String(value);
      parts.push(name + "=" + identity);
    }
    return parts.join(";");
  }

  private identity(value: unknown): number {
    let id = this.identities.get(value);
    if (id === undefined) {
      id = this.identities.size;
      this.identities.set(value, id);
    }
    return id;
  }
}

interface RemoteObject {
  type: string;
  subtype?: string;
  value?: unknown;
  unserializableValue?: string;
  objectId?: string;
  description?: string;
}

interface PropertyDescriptor {
  name: string;
  value?: RemoteObject;
}

const PROBE = "__zonetagMemoryProbe";
const CAPTURE = "__zonetagMemoryCapture";

/** One inspector session for the process, used synchronously. */
class Inspector {
  private static instance: Inspector | null = null;
  private readonly session = new inspector.Session();
  private readonly contexts = new Map<string, number>();

  static shared(): Inspector {
    if (!Inspector.instance) Inspector.instance = new Inspector();
    return Inspector.instance;
  }

  private constructor() {
    this.session.connect();
    this.session.on("Runtime.executionContextCreated", (message) => {
      const context = message.params.context;
      this.contexts.set(context.name, context.id);
    });
    this.session.on("Runtime.executionContextDestroyed", (message) => {
      for (const [name, id] of this.contexts) if (id === message.params.executionContextId) this.contexts.delete(name);
    });
    this.post("Runtime.enable", {});
  }

  /** Closure scopes (innermost first) of `fn`, as name → host value maps. */
  closureScopes(context: Record<string, unknown>, contextName: string, fn: Function): Map<string, unknown>[] {
    const contextId = this.contexts.get(contextName);
    if (contextId === undefined) return [];
    let captured: unknown;
    Object.defineProperty(context, PROBE, { value: fn, configurable: true, enumerable: false, writable: true });
    Object.defineProperty(context, CAPTURE, { value: (v: unknown) => { captured = v; }, configurable: true, enumerable: false, writable: true });
    try {
      const probe = this.post<{ result: RemoteObject }>("Runtime.evaluate", { expression: PROBE, contextId, silent: true }).result;
      if (!probe.objectId) return [];
      const internals = this.post<{ internalProperties?: PropertyDescriptor[] }>("Runtime.getProperties", { objectId: probe.objectId, ownProperties: true }).internalProperties ?? [];
      const scopesId = internals.find((p) => p.name === "[[Scopes]]")?.value?.objectId;
      if (!scopesId) return [];
      const scopes = this.post<{ result: PropertyDescriptor[] }>("Runtime.getProperties", { objectId: scopesId, ownProperties: true }).result;
      const maps: Map<string, unknown>[] = [];
      for (const scope of scopes) {
        if (scope.value?.description !== "Closure" && scope.value?.description !== "Block") continue;
        const variables = this.post<{ result: PropertyDescriptor[] }>("Runtime.getProperties", { objectId: scope.value.objectId, ownProperties: true }).result;
        const map = new Map<string, unknown>();
        for (const variable of variables) {
          const remote = variable.value;
          if (!remote) continue;
          if (remote.objectId) {
            captured = undefined;
            this.post("Runtime.callFunctionOn", { objectId: remote.objectId, functionDeclaration: `function () { ${CAPTURE}(this); }`, silent: true });
            map.set(variable.name, captured);
          } else if (remote.unserializableValue !== undefined) {
            map.set(variable.name, Number(remote.unserializableValue));
          } else map.set(variable.name, remote.value);
        }
        maps.push(map);
      }
      return maps;
    } finally {
      delete context[PROBE];
      delete context[CAPTURE];
      this.post("Runtime.releaseObjectGroup", { objectGroup: "" });
    }
  }

  private post<T = unknown>(method: string, params: object): T {
    let result: T | undefined;
    let failure: Error | null = null;
    this.session.post(method, params, (error: Error | null, value?: unknown) => {
      failure = error;
      result = value as T;
    });
    if (failure) throw failure;
    return result as T;
  }
}
