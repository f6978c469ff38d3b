/**
 * The part of ECMAScript 5 that Espruino implements, declared for TypeScript's `noLib` build.
 * What Espruino lacks (Map, Set, Symbol, Array.from, Math.trunc, Number.isInteger, ...) is absent on
 * purpose, so using it fails at compile time before the bundle checker ever sees it.
 */

interface Object {
  constructor: Function;
  toString(): string;
  hasOwnProperty(v: string): boolean;
}
interface ObjectConstructor {
  new (value?: any): Object;
  (value?: any): any;
  readonly prototype: Object;
  keys(o: object): string[];
  getPrototypeOf(o: any): any;
  defineProperty(o: any, p: string, attributes: any): any;
  create(o: object | null): any;
  assign<T extends {}, U>(target: T, source: U): T & U;
}
declare var Object: ObjectConstructor;

interface Function {
  apply(this: Function, thisArg: any, argArray?: any): any;
  call(this: Function, thisArg: any, ...argArray: any[]): any;
  bind(this: Function, thisArg: any, ...argArray: any[]): any;
  readonly length: number;
  prototype: any;
}
declare var Function: { new (...args: string[]): Function; readonly prototype: Function };
interface CallableFunction extends Function {}
interface NewableFunction extends Function {}
interface IArguments {
  [index: number]: any;
  length: number;
}

interface String {
  readonly length: number;
  charAt(pos: number): string;
  charCodeAt(index: number): number;
  indexOf(searchString: string, position?: number): number;
  lastIndexOf(searchString: string, position?: number): number;
  slice(start?: number, end?: number): string;
  substr(from: number, length?: number): string;
  substring(start: number, end?: number): string;
  split(separator: string | RegExp, limit?: number): string[];
  toLowerCase(): string;
  toUpperCase(): string;
  trim(): string;
  replace(searchValue: string | RegExp, replaceValue: string): string;
  [index: number]: string;
}
interface StringConstructor {
  new (value?: any): String;
  (value?: any): string;
  fromCharCode(...codes: number[]): string;
}
declare var String: StringConstructor;

interface Boolean {}
declare var Boolean: { new (value?: any): Boolean; (value?: any): boolean };

interface Number {
  toString(radix?: number): string;
  toFixed(fractionDigits?: number): string;
}
interface NumberConstructor {
  new (value?: any): Number;
  (value?: any): number;
  readonly MAX_VALUE: number;
  readonly MIN_VALUE: number;
  readonly NaN: number;
  readonly POSITIVE_INFINITY: number;
  readonly NEGATIVE_INFINITY: number;
}
declare var Number: NumberConstructor;
declare var NaN: number;
declare var Infinity: number;
declare function parseInt(string: string, radix?: number): number;
declare function parseFloat(string: string): number;
declare function isNaN(number: number): boolean;
declare function isFinite(number: number): boolean;

interface RegExp {
  exec(string: string): RegExpExecArray | null;
  test(string: string): boolean;
}
interface RegExpExecArray extends Array<string> {
  index: number;
  input: string;
}
declare var RegExp: { new (pattern: string, flags?: string): RegExp; (pattern: string, flags?: string): RegExp };

interface ConcatArray<T> {
  readonly length: number;
  readonly [n: number]: T;
  join(separator?: string): string;
  slice(start?: number, end?: number): T[];
}
interface ReadonlyArray<T> {
  readonly length: number;
  readonly [n: number]: T;
  indexOf(searchElement: T, fromIndex?: number): number;
  slice(start?: number, end?: number): T[];
  join(separator?: string): string;
  forEach(callbackfn: (value: T, index: number, array: readonly T[]) => void): void;
  map<U>(callbackfn: (value: T, index: number, array: readonly T[]) => U): U[];
  filter(predicate: (value: T, index: number, array: readonly T[]) => unknown): T[];
}
interface Array<T> {
  length: number;
  [n: number]: T;
  push(...items: T[]): number;
  pop(): T | undefined;
  shift(): T | undefined;
  unshift(...items: T[]): number;
  concat(...items: (T | ConcatArray<T>)[]): T[];
  join(separator?: string): string;
  reverse(): T[];
  slice(start?: number, end?: number): T[];
  splice(start: number, deleteCount?: number, ...items: T[]): T[];
  sort(compareFn?: (a: T, b: T) => number): this;
  indexOf(searchElement: T, fromIndex?: number): number;
  forEach(callbackfn: (value: T, index: number, array: T[]) => void): void;
  map<U>(callbackfn: (value: T, index: number, array: T[]) => U): U[];
  filter(predicate: (value: T, index: number, array: T[]) => unknown): T[];
  reduce<U>(callbackfn: (previous: U, current: T, index: number, array: T[]) => U, initial: U): U;
  some(predicate: (value: T, index: number, array: T[]) => unknown): boolean;
  every(predicate: (value: T, index: number, array: T[]) => unknown): boolean;
}
interface ArrayConstructor {
  new <T>(arrayLength?: number): T[];
  <T>(arrayLength?: number): T[];
  isArray(arg: any): arg is any[];
  readonly prototype: any[];
}
declare var Array: ArrayConstructor;

interface TemplateStringsArray extends ReadonlyArray<string> {
  readonly raw: readonly string[];
}
interface PropertyDescriptor {
  configurable?: boolean;
  enumerable?: boolean;
  value?: any;
  writable?: boolean;
  get?(): any;
  set?(v: any): void;
}
interface TypedPropertyDescriptor<T> {
  enumerable?: boolean;
  configurable?: boolean;
  writable?: boolean;
  value?: T;
  get?: () => T;
  set?: (value: T) => void;
}
type Partial<T> = { [P in keyof T]?: T[P] };
type Readonly<T> = { readonly [P in keyof T]: T[P] };
type Record<K extends keyof any, T> = { [P in K]: T };
type Extract<T, U> = T extends U ? T : never;
type Exclude<T, U> = T extends U ? never : T;
type Pick<T, K extends keyof T> = { [P in K]: T[P] };

interface Math {
  readonly PI: number;
  readonly E: number;
  abs(x: number): number;
  floor(x: number): number;
  ceil(x: number): number;
  round(x: number): number;
  min(...values: number[]): number;
  max(...values: number[]): number;
  pow(x: number, y: number): number;
  sqrt(x: number): number;
  log(x: number): number;
  exp(x: number): number;
  random(): number;
}
declare var Math: Math;

interface JSON {
  parse(text: string): any;
  stringify(value: any): string;
}
declare var JSON: JSON;

interface Error {
  name: string;
  message: string;
}
interface ErrorConstructor {
  new (message?: string): Error;
  (message?: string): Error;
}
declare var Error: ErrorConstructor;
declare var TypeError: ErrorConstructor;
declare var RangeError: ErrorConstructor;

interface Date {
  getTime(): number;
  toISOString(): string;
}
declare var Date: { new (value?: number | string): Date; now(): number };

interface ArrayBuffer {
  readonly byteLength: number;
  slice(begin: number, end?: number): ArrayBuffer;
}
declare var ArrayBuffer: { new (byteLength: number): ArrayBuffer };
interface ArrayBufferView {
  buffer: ArrayBuffer;
  byteLength: number;
  byteOffset: number;
}

/** The typed arrays Espruino implements, declared once through a shared shape. */
interface TypedArray<Self> extends ArrayBufferView {
  readonly length: number;
  [index: number]: number;
  set(array: ArrayLike<number>, offset?: number): void;
  subarray(begin?: number, end?: number): Self;
  slice(start?: number, end?: number): Self;
  fill(value: number, start?: number, end?: number): Self;
  indexOf(searchElement: number, fromIndex?: number): number;
  join(separator?: string): string;
  forEach(callbackfn: (value: number, index: number, array: Self) => void): void;
  map(callbackfn: (value: number, index: number, array: Self) => number): Self;
}
interface TypedArrayConstructor<Self> {
  new (lengthOrData?: number | ArrayLike<number> | ArrayBuffer, byteOffset?: number, length?: number): Self;
  readonly BYTES_PER_ELEMENT: number;
}
interface ArrayLike<T> {
  readonly length: number;
  readonly [n: number]: T;
}
interface Uint8Array extends TypedArray<Uint8Array> {}
interface Int8Array extends TypedArray<Int8Array> {}
interface Uint16Array extends TypedArray<Uint16Array> {}
interface Int16Array extends TypedArray<Int16Array> {}
interface Uint32Array extends TypedArray<Uint32Array> {}
interface Int32Array extends TypedArray<Int32Array> {}
interface Float32Array extends TypedArray<Float32Array> {}
declare var Uint8Array: TypedArrayConstructor<Uint8Array>;
declare var Int8Array: TypedArrayConstructor<Int8Array>;
declare var Uint16Array: TypedArrayConstructor<Uint16Array>;
declare var Int16Array: TypedArrayConstructor<Int16Array>;
declare var Uint32Array: TypedArrayConstructor<Uint32Array>;
declare var Int32Array: TypedArrayConstructor<Int32Array>;
declare var Float32Array: TypedArrayConstructor<Float32Array>;

interface DataView {
  getUint8(byteOffset: number): number;
  setUint8(byteOffset: number, value: number): void;
  getInt8(byteOffset: number): number;
  setInt8(byteOffset: number, value: number): void;
  getUint16(byteOffset: number, littleEndian?: boolean): number;
  setUint16(byteOffset: number, value: number, littleEndian?: boolean): void;
  getUint32(byteOffset: number, littleEndian?: boolean): number;
  setUint32(byteOffset: number, value: number, littleEndian?: boolean): void;
  getInt16(byteOffset: number, littleEndian?: boolean): number;
  setInt16(byteOffset: number, value: number, littleEndian?: boolean): void;
}
declare var DataView: { new (buffer: ArrayBuffer, byteOffset?: number, byteLength?: number): DataView };

/** Espruino has Promise with then/catch, all and resolve/reject: no finally, no race. */
interface PromiseLike<T> {
  then<R1 = T, R2 = never>(onfulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null, onrejected?: ((reason: any) => R2 | PromiseLike<R2>) | null): PromiseLike<R1 | R2>;
}
interface Promise<T> {
  then<R1 = T, R2 = never>(onfulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null, onrejected?: ((reason: any) => R2 | PromiseLike<R2>) | null): Promise<R1 | R2>;
  catch<R = never>(onrejected?: ((reason: any) => R | PromiseLike<R>) | null): Promise<T | R>;
}
declare var Promise: {
  new <T>(executor: (resolve: (value: T) => void, reject: (reason?: any) => void) => void): Promise<T>;
  all<T>(values: readonly (T | PromiseLike<T>)[]): Promise<T[]>;
  resolve<T>(value: T): Promise<T>;
  reject<T = never>(reason?: any): Promise<T>;
};
