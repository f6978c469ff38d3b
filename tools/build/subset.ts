/**
 * The Espruino language subset (DESIGN.md), checked on the JavaScript the build emits: syntax Espruino's
 * interpreter lacks, ES2015+ syntax that an ES5 compile must never leave behind, globals and members
 * Espruino does not implement, TypeScript helpers that `noEmitHelpers` leaves undefined, and reliance on
 * function hoisting, which Espruino does not do.
 */
import { parse, type AnyNode, type Identifier, type MemberExpression, type Pattern } from "acorn";
import { fullAncestor } from "acorn-walk";

/** Globals Espruino does not implement, with what to use instead. */
const MISSING_GLOBALS: Record<string, string> = {
  Map: "use a plain object keyed by string",
  Set: "use a plain object keyed by string",
  WeakMap: "use a plain object or a property on the key",
  WeakSet: "use a plain object or a flag on the member",
  Symbol: "use a string key",
  Proxy: "use explicit accessor functions",
  Reflect: "use Object.* and direct property access",
  BigInt: "use two 32-bit numbers or bytes",
};

/** Static members Espruino does not implement, with what to use instead. */
const MISSING_MEMBERS: Record<string, string> = {
  "Array.from": "copy with a loop or Array.prototype.slice",
  "Math.trunc": "use `x | 0` (32-bit) or Math.floor/Math.ceil by sign",
  "Number.isInteger": "use `Math.floor(x) === x`",
  "Promise.race": "settle a shared flag from each promise",
};

/** TypeScript emit helpers (left undefined by `noEmitHelpers`), with the source construct that needs them. */
const TS_HELPERS: Record<string, string> = {
  __extends: "class inheritance (`extends`)",
  __assign: "object spread (`{ ...x }`)",
  __spreadArray: "array or argument spread (`...x`)",
  __awaiter: "async functions",
  __generator: "generators or async functions",
  __rest: "rest properties in destructuring",
  __values: "for-of over a non-array (downlevelIteration)",
  __read: "destructuring or spread of an iterable (downlevelIteration)",
};

/** One place where the code leaves the subset. Line is 1-based, column 1-based. */
export interface SubsetViolation {
  file: string;
  line: number;
  column: number;
  /** The construct found, e.g. "destructuring", "Map", "Array.from", "__extends", "function hoisting". */
  construct: string;
  message: string;
}

/** Names bound in one scope (program or function), and which of them are function declarations. */
interface ScopeNames {
  names: Set<string>;
  functions: Map<string, AnyNode>;
}

/** Every departure of `source` (a script) from the Espruino subset, in source order. */
export function checkEspruinoSubset(source: string, fileName: string): SubsetViolation[] {
  const violations: SubsetViolation[] = [];
  const report = (node: AnyNode, construct: string, message: string) => {
    const start = node.loc!.start;
    violations.push({ file: fileName, line: start.line, column: start.column + 1, construct, message });
  };

  let program;
  try {
    // The newest grammar, so that forbidden syntax is recognised and named rather than a parse error.
    program = parse(source, { ecmaVersion: "latest", sourceType: "script", locations: true, allowImportExportEverywhere: true });
  } catch (error) {
    const loc = (error as { loc?: { line: number; column: number } }).loc ?? { line: 1, column: 0 };
    const message = (error as Error).message.replace(/ \(\d+:\d+\)$/, "");
    return [{ file: fileName, line: loc.line, column: loc.column + 1, construct: "syntax", message }];
  }

  const scopes = collectScopes(program);
  fullAncestor(program, (node, _state, ancestors, walkType) => {
    const parent = ancestors[ancestors.length - 2];
    checkSyntax(node, parent, ancestors, report);
    if (walkType === "Identifier" && node.type === "Identifier") checkReference(node, ancestors, scopes, report);
    if (node.type === "MemberExpression") checkMember(node, parent, ancestors, scopes, report);
  });
  return violations.sort((a, b) => a.line - b.line || a.column - b.column);
}

type Report = (node: AnyNode, construct: string, message: string) => void;

/** Syntax checks that need only the node, its parent and its ancestors. */
function checkSyntax(node: AnyNode, parent: AnyNode | undefined, ancestors: AnyNode[], report: Report): void {
  const lacks = (construct: string, hint: string) => report(node, construct, `${construct} is not supported by Espruino: ${hint}`);
  const es2015 = (construct: string) =>
    report(node, construct, `${construct} should not appear in ES5 output (is the firmware compiled with target es5?)`);
  switch (node.type) {
    case "ObjectPattern":
    case "ArrayPattern":
      if (!ancestors.slice(0, -1).some(isPattern)) lacks("destructuring", "read the fields one by one");
      break;
    case "RestElement":
      lacks("rest", "use `arguments` or pass an array");
      break;
    case "SpreadElement":
      lacks("spread", "copy with a loop, or use Function.prototype.apply");
      break;
    case "AssignmentPattern":
      if (parent && isFunction(parent)) lacks("default parameter", "test for undefined in the body");
      break;
    case "ChainExpression":
      lacks("optional chaining", "test the object explicitly (`a && a.b`)");
      break;
    case "BinaryExpression":
    case "AssignmentExpression":
      if (node.operator === "**" || node.operator === "**=") lacks("exponentiation", "use Math.pow");
      break;
    case "FunctionDeclaration":
    case "FunctionExpression":
    case "ArrowFunctionExpression":
      if (node.generator) lacks("generator", "write an explicit state machine");
      if (node.async) lacks("async function", "use callbacks or promises");
      if (node.type === "ArrowFunctionExpression") es2015("arrow function");
      break;
    case "LabeledStatement":
      lacks("label", "use a flag or a helper function");
      break;
    case "ForOfStatement":
      lacks("for-of", "use an indexed for loop");
      break;
    case "VariableDeclaration":
      if (node.kind !== "var") es2015(node.kind);
      break;
    case "TemplateLiteral":
      es2015("template literal");
      break;
    case "ClassDeclaration":
    case "ClassExpression":
      es2015("class");
      break;
    case "ImportDeclaration":
    case "ImportExpression":
    case "ExportNamedDeclaration":
    case "ExportDefaultDeclaration":
    case "ExportAllDeclaration":
      report(node, "module syntax", "import/export must not remain in the bundle: Espruino runs one plain script");
      break;
  }
}

/** Checks a static member use (`Array.from`) and `.finally(…)` calls. */
function checkMember(
  node: MemberExpression,
  parent: AnyNode | undefined,
  ancestors: AnyNode[],
  scopes: Map<AnyNode, ScopeNames>,
  report: Report,
): void {
  if (node.computed || node.property.type !== "Identifier") return;
  if (node.object.type === "Identifier" && resolve(node.object.name, ancestors, scopes) === undefined) {
    const member = node.object.name + "." + node.property.name;
    if (Object.hasOwn(MISSING_MEMBERS, member)) report(node, member, `${member} does not exist on Espruino: ${MISSING_MEMBERS[member]}`);
  }
  if (node.property.name === "finally" && parent?.type === "CallExpression" && parent.callee === node) {
    report(node.property, ".finally()", "Promise .finally() does not exist on Espruino: use .then(f, f)");
  }
}

/** Checks one identifier read: missing globals, TypeScript helpers, and use of a function before its declaration. */
function checkReference(node: Identifier, ancestors: AnyNode[], scopes: Map<AnyNode, ScopeNames>, report: Report): void {
  const scopeIndex = resolve(node.name, ancestors, scopes);
  if (scopeIndex === undefined) {
    if (Object.hasOwn(MISSING_GLOBALS, node.name)) {
      report(node, node.name, `${node.name} does not exist on Espruino: ${MISSING_GLOBALS[node.name]}`);
    } else if (Object.hasOwn(TS_HELPERS, node.name)) {
      report(node, node.name, `TypeScript helper ${node.name} is not emitted (noEmitHelpers): avoid ${TS_HELPERS[node.name]}`);
    }
    return;
  }
  const declaration = scopes.get(ancestors[scopeIndex])!.functions.get(node.name);
  if (declaration && node.start < declaration.start && runsWithScope(ancestors, scopeIndex)) {
    report(node, "function hoisting",
      `${node.name} is used before its declaration on line ${declaration.loc!.start.line}: ` +
      "Espruino does not hoist function declarations, declare it before use");
  }
}

/** Index in `ancestors` of the scope that binds `name`, or undefined for a global. */
function resolve(name: string, ancestors: AnyNode[], scopes: Map<AnyNode, ScopeNames>): number | undefined {
  for (let i = ancestors.length - 1; i >= 0; i--) {
    const scope = scopes.get(ancestors[i]);
    if (scope && scope.names.has(name)) return i;
  }
  return undefined;
}

/**
 * Whether the innermost ancestor runs while the scope at `scopeIndex` runs, rather than later: true unless
 * a function between them defers it (an immediately invoked function does not).
 */
function runsWithScope(ancestors: AnyNode[], scopeIndex: number): boolean {
  for (let i = scopeIndex + 1; i < ancestors.length - 1; i++) {
    if (isFunction(ancestors[i]) && !isInvokedImmediately(ancestors[i], ancestors[i - 1], ancestors[i - 2])) return false;
  }
  return true;
}

/** `(function () {…})()`, `new function () {…}()`, `(function () {…}).call(…)` and `.apply(…)`. */
function isInvokedImmediately(fn: AnyNode, parent: AnyNode | undefined, grandparent: AnyNode | undefined): boolean {
  if (parent && (parent.type === "CallExpression" || parent.type === "NewExpression")) return parent.callee === fn;
  return parent?.type === "MemberExpression" && parent.object === fn && !parent.computed &&
    parent.property.type === "Identifier" && (parent.property.name === "call" || parent.property.name === "apply") &&
    grandparent?.type === "CallExpression" && grandparent.callee === parent;
}

/**
 * The names each scope (program or function) binds. `let`, `const` and catch parameters count as
 * function-scoped: close enough for checking, and `let`/`const` are violations anyway.
 */
function collectScopes(program: AnyNode): Map<AnyNode, ScopeNames> {
  const scopes = new Map<AnyNode, ScopeNames>();
  const scopeOf = (node: AnyNode) => {
    let scope = scopes.get(node);
    if (!scope) scopes.set(node, (scope = { names: new Set(), functions: new Map() }));
    return scope;
  };
  const enclosing = (ancestors: AnyNode[]) => {
    for (let i = ancestors.length - 2; i >= 0; i--) {
      if (ancestors[i].type === "Program" || isFunction(ancestors[i])) return scopeOf(ancestors[i]);
    }
    return scopeOf(program);
  };
  const bind = (scope: ScopeNames, pattern: Pattern | null | undefined) => boundNames(pattern).forEach((name) => scope.names.add(name));

  scopeOf(program);
  fullAncestor(program, (node, _state, ancestors) => {
    switch (node.type) {
      case "FunctionDeclaration":
        if (node.id) {
          enclosing(ancestors).names.add(node.id.name);
          enclosing(ancestors).functions.set(node.id.name, node);
        }
        node.params.forEach((param) => bind(scopeOf(node), param));
        break;
      case "FunctionExpression":
      case "ArrowFunctionExpression":
        if (node.type === "FunctionExpression") bind(scopeOf(node), node.id);
        node.params.forEach((param) => bind(scopeOf(node), param));
        break;
      case "VariableDeclaration":
        node.declarations.forEach((declarator) => bind(enclosing(ancestors), declarator.id));
        break;
      case "CatchClause":
        bind(enclosing(ancestors), node.param);
        break;
      case "ClassDeclaration":
        bind(enclosing(ancestors), node.id);
        break;
    }
  });
  return scopes;
}

/** The identifiers a binding pattern declares. */
function boundNames(pattern: Pattern | null | undefined): string[] {
  if (!pattern) return [];
  switch (pattern.type) {
    case "Identifier":
      return [pattern.name];
    case "ObjectPattern":
      return pattern.properties.flatMap((p) => boundNames(p.type === "RestElement" ? p : p.value));
    case "ArrayPattern":
      return pattern.elements.flatMap((element) => boundNames(element));
    case "RestElement":
      return boundNames(pattern.argument);
    case "AssignmentPattern":
      return boundNames(pattern.left);
    case "MemberExpression":
      return [];
  }
}

function isFunction(node: AnyNode): boolean {
  return node.type === "FunctionDeclaration" || node.type === "FunctionExpression" || node.type === "ArrowFunctionExpression";
}

function isPattern(node: AnyNode): boolean {
  return node.type === "ObjectPattern" || node.type === "ArrayPattern";
}
