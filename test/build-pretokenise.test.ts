import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import vm from "node:vm";
import { type Token, tokenizer } from "acorn";
import { expect } from "chai";
import { stringBytes } from "../sim/espruino/bytes";
import { Scheduler } from "../sim/espruino/scheduler";
import { BOOT_CODE_FILE, HostTag } from "../sim/espruino/tag";
import { buildFirmware } from "../tools/build/build";
import { detokenise, pretokenise } from "../tools/build/pretokenise";
import { newWorld, onAir, setClock } from "./firmware/harness";

const ROOT = path.resolve(__dirname, "..");
const BUNDLE_PATH = path.join(ROOT, "dist/tag.min.js");
/** Unix time the tags' clocks are set to. */
const START_S = 1_700_000_000;
const HOUR_MS = 3_600_000;

/** ES5 programs whose completion value is their result, each covering a corner of the tokeniser. */
const SAMPLES: Record<string, string> = {
  "strings with escapes": `var s="a\\"b\\\\c\\n\\t\\x00\\x7f\\xff\\u00e9",t='it\\'s "q"',u="\\u2603 snow",v="",w="caf\u00e9";[s,t,u,v,w,s.length]`,
  regexes: `var r=/[\\/"']+/g,q="a/b\\"c'd".replace(r,"-"),d=10/2/5;[q,d,/x/i.test("X"),"a|b".split(/\\|/),!/^[0-9]*$/.test("1a")]`,
  numbers: `[1e3,.5,0x1F,1.5e-3,255&7,1..toString(),(12).toString(16),-1>>>0,1/3,2e-7,100000000]`,
  "keywords as property names": `var o={if:1,in:2,default:3,new:4,typeof:5,"catch":6,of:7};o.class=8;o.this=9;[o.if,o.in,o.default,o.new,o.typeof,o.catch,o.class,o.of,o.this,o["in"]]`,
  "typeof instanceof in void delete": `var a={x:1},b=[];[typeof a,typeof undefined,typeof null,b instanceof Array,"x"in a,void 0,delete a.x,"x"in a,typeof b==="object",typeof typeof a]`,
  operators: `var x=-1,y=5,z=0;x>>>=28;y<<=2;y>>=1;z|=6;z&=3;z^=1;z+=y;z-=1;z*=2;z/=3;z%=5;[x,y,z,x!==y,x===x,x!=y,x==y,x<=y,y>=x,x>>1,x>>>1,1<<3,!0&&!1||2,++y,y++,--y,y--,-x,+x,~x,x=+y,x=-y,y- --x,y+ ++x]`,
  "control flow": `function f(n){for(var i=0,s=0;i<n;i++){if(i%2)continue;s+=i}while(s>100)s-=100;do{s++}while(s<3);switch(s){case 1:return"one";default:return s}}var t;try{throw new Error("boom")}catch(e){t=e.message}finally{t+="!"}[f(10),f(0),t,this===this,function(){return null}()]`,
  "top-level lines": `var a=1\nvar b=2\nfunction g(){\n  return a+b // sum\n}\n/* result */\ng()`,
  atob: `var s=atob("QUJD");[s,s.length,atob("AAE=").charCodeAt(1)]`,
};

/** Programs where EspruinoTools glues two tokens into another one and pretokenise keeps a space. */
const GLUED_BY_ESPRUINO_TOOLS: Record<string, string> = {
  "a- -b": `var a=5,b=-2;a- -b`,
  "a+ +b": `var a=5,b="2";a+ +b`,
};

/** acorn's token with the value its typings leave out. */
interface ValuedToken extends Token {
  readonly value: unknown;
}

/**
 * EspruinoTools (the `espruino` package) turning each program into the commands it sends to an Espruino 2v25
 * board with "Save on Send: direct to flash" and PRETOKENISE at `level` (1 auto, 2 everything), its whole
 * upload chain. It runs in a child process: it loads es6-shim, which replaces builtins (Math.round, Set).
 */
function espruinoToolsUploads(programs: readonly string[], level: 1 | 2): string[] {
  const script = `
    const log = console.log;
    console.log = () => {}; // EspruinoTools narrates everything
    const programs = JSON.parse(require("fs").readFileSync(0, "utf8"));
    require("espruino").init(() => {
      const env = Espruino.Core.Env;
      env.setFirmwareVersion("2v25");
      Object.assign(env.getBoardData(), { VERSION: "2v25", BOARD: "PUCKJS" });
      Object.assign(env.getData(), { BOARD: "PUCKJS", MODULES: "Storage,crypto" });
      Object.assign(Espruino.Config, { PRETOKENISE: ${level}, SAVE_ON_SEND: 1, LOAD_STORAGE_FILE: 0, SET_TIME_ON_WRITE: false, MINIFICATION_LEVEL: "" });
      const uploads = [];
      const next = () => {
        if (uploads.length === programs.length) return log(JSON.stringify(uploads));
        Espruino.callProcessor("transformForEspruino", programs[uploads.length], (commands) => { uploads.push(commands); next(); });
      };
      next();
    });`;
  const run = spawnSync(process.execPath, ["-e", script], { cwd: ROOT, input: JSON.stringify(programs), encoding: "utf8" });
  if (run.status !== 0) throw new Error("EspruinoTools failed:\n" + run.stderr);
  return JSON.parse(run.stdout) as string[];
}

/** What `.bootcde` holds after upload commands ran on a tag, as they run on the device. */
function storedByUpload(commands: string): Uint8Array {
  const tag = new HostTag({ scheduler: new Scheduler(), seed: "upload" });
  tag.boot();
  tag.evaluate(commands);
  return stringBytes(tag.storage.read(BOOT_CODE_FILE) ?? "");
}

/** The program's result (its completion value) as JSON, run in a fresh context with `atob`. */
function result(program: string): string {
  const atob = (base64: string) => Buffer.from(base64, "base64").toString("latin1");
  return JSON.stringify(vm.runInNewContext(program, { atob }));
}

/** The tokens acorn reads in `code`: type and value. */
function tokens(code: string): string[] {
  return Array.from(tokenizer(code, { ecmaVersion: 5 }) as Iterable<ValuedToken>, (token) => {
    const value = token.value instanceof RegExp ? String(token.value) : token.value;
    return `${token.type.label} ${String(value)}`;
  });
}

/** The minified firmware bundle, built when dist/ has none (a build over the size budget still writes it). */
async function minifiedBundle(): Promise<string> {
  if (!fs.existsSync(BUNDLE_PATH)) {
    const build = await buildFirmware();
    if (!build.compiled) throw new Error("firmware does not compile:\n" + build.errors.join("\n"));
  }
  return fs.readFileSync(BUNDLE_PATH, "utf8");
}

/** A PUCKJS tag flashed with `program`, clock set to START_S, with its advertising events over the first hour. */
function firstHour(program: string | Uint8Array) {
  const scheduler = newWorld(START_S);
  const tag = new HostTag({ scheduler, board: "PUCKJS", seed: "pretokenised" });
  tag.flash(program);
  tag.boot();
  setClock(tag, START_S);
  const events = onAir(tag, START_S * 1000, START_S * 1000 + HOUR_MS);
  return { tag, events };
}

describe("pretokenise: Espruino's pretokenised upload form", () => {
  let bundle = "";
  before(async () => {
    bundle = await minifiedBundle();
  });

  it("gives the bytes EspruinoTools stores as .bootcde, for the real bundle and every sample", function () {
    this.timeout(120_000);
    const programs = [bundle, ...Object.values(SAMPLES)];
    const uploads = espruinoToolsUploads(programs, 1);
    programs.forEach((program, i) => {
      const name = i === 0 ? "dist/tag.min.js" : Object.keys(SAMPLES)[i - 1];
      expect(Buffer.from(pretokenise(program)).toString("hex"), name).to.equal(Buffer.from(storedByUpload(uploads[i]!)).toString("hex"));
    });
  });

  it("makes the bundle smaller: every operator and reserved word one byte, strings length-prefixed", () => {
    const bytes = pretokenise(bundle);
    expect(bytes.length).to.be.lessThan(Buffer.byteLength(bundle) * 0.9);
    expect(Buffer.from(pretokenise(`if(a)return"ab"`)).toString("hex")).to.equal("a3286129abd1026162");
  });

  it("keeps apart the tokens EspruinoTools glues into others (one space each, otherwise its bytes)", () => {
    const programs = Object.values(GLUED_BY_ESPRUINO_TOOLS);
    const uploads = espruinoToolsUploads(programs, 1);
    programs.forEach((program, i) => {
      const ours = Buffer.from(pretokenise(program)).toString("latin1");
      const theirs = Buffer.from(storedByUpload(uploads[i]!)).toString("latin1");
      expect(ours.replace(/([+-]) ([+-])/, "$1$2"), program).to.equal(theirs);
      expect(result(detokenise(pretokenise(program))), program).to.equal(result(program));
    });
  });

  it("refuses template literals (the input is ES5)", () => {
    expect(() => pretokenise("var a=`x`")).to.throw("template literal at 6");
  });
});

describe("detokenise: pretokenised code back to JavaScript", () => {
  let bundle = "";
  before(async () => {
    bundle = await minifiedBundle();
  });

  for (const [name, program] of Object.entries({ ...SAMPLES, ...GLUED_BY_ESPRUINO_TOOLS })) {
    it(`runs as the source does: ${name}`, () => {
      expect(result(detokenise(pretokenise(program)))).to.equal(result(program));
    });
  }

  it("reads EspruinoTools' 'tokenise everything' form too (raw integers), as it runs", function () {
    this.timeout(120_000);
    const programs = [...Object.values(SAMPLES), `var x=-5,y=[-1,300,-40000,0];x-1+y[2]-y[1]+(1..toString()).length`];
    const uploads = espruinoToolsUploads(programs, 2);
    const stored = uploads.map(storedByUpload);
    expect([0xd3, 0xd4, 0xd5].every((rawInt) => stored[stored.length - 1]!.includes(rawInt)), "raw 0, int8 and int16").to.equal(true);
    programs.forEach((program, i) => expect(result(detokenise(stored[i]!)), program).to.equal(result(program)));
  });

  it("gives back the real bundle's tokens, and plain code unchanged", () => {
    expect(tokens(detokenise(pretokenise(bundle)))).to.deep.equal(tokens(bundle));
    expect(detokenise(Buffer.from(bundle, "latin1"))).to.equal(bundle);
  });

  it("keeps bytes ≥ 0x80 inside plain strings, regexes and comments as they are", () => {
    const code = Buffer.from(`var a="\u00e9\u00b9",b=/\u00ab/ // \u00aa\n;[a,b]`, "latin1");
    expect(detokenise(code)).to.equal(code.toString("latin1"));
    const tokenised = Uint8Array.from([...Buffer.from("a", "latin1"), 0xb9, ...Buffer.from(`"\u00b9"?/\u00b9/:1`, "latin1")]);
    expect(detokenise(tokenised)).to.equal(`a in"\u00b9"?/\u00b9/:1`);
  });

  it("refuses bytes that are no token, and a raw string cut short", () => {
    expect(() => detokenise(Uint8Array.of(0x61, 0x3d, 0x80))).to.throw(SyntaxError, "byte 0x80 at 2 is no Espruino token");
    expect(() => detokenise(Uint8Array.of(0x61, 0x3d, 0xd1, 5, 0x62))).to.throw(SyntaxError, "code ends inside the token at 2");
  });

  it("boots the pretokenised bundle on a host tag exactly as the plain bundle: same adverts over an hour", function () {
    this.timeout(120_000);
    const plain = firstHour(bundle);
    const bytes = pretokenise(bundle);
    const tokenised = firstHour(bytes);
    expect(plain.events.length).to.be.greaterThan(1000);
    expect(tokenised.events).to.deep.equal(plain.events);
    expect(tokenised.tag.outputText()).to.equal(plain.tag.outputText());
    expect(tokenised.tag.errors).to.deep.equal([]);
    expect(tokenised.tag.memory()).to.deep.equal(plain.tag.memory());
    expect(stringBytes(tokenised.tag.storage.read(BOOT_CODE_FILE)!)).to.deep.equal(bytes);
  });
});
