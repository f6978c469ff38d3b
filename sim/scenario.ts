/**
 * Scenarios: the commune a simulation runs in (population, households, public places, who carries what,
 * daily routines, the epidemic), read from JSON files in sim/scenarios/ and checked field by field, so a
 * mistake in a file is reported with its path and the allowed values rather than surfacing as odd results.
 */
import { readFileSync, existsSync, readdirSync } from "node:fs";
import { join, basename } from "node:path";

/** Folder of the bundled scenario files. */
export const SCENARIO_DIR = join(__dirname, "scenarios");
/** Longest run a scenario may ask for: GAEN keys live 14 days, the tag log 21; more says nothing new. */
export const MAX_DAYS = 60;
/** The seed `npm start` (and `npm run sim` without --seed) runs with. */
export const DEFAULT_SEED = "zonetag";
/** Largest population a scenario may ask for (one process holds every tag). */
export const MAX_RESIDENTS = 5000;
/** Household sizes run 1..6 (DESIGN: households of 1–6). */
export const MAX_HOUSEHOLD_SIZE = 6;

/** Age groups, which set schedules and device ownership. */
export type AgeGroup = "child" | "adult" | "elderly";
/** Every age group, in a fixed order. */
export const AGE_GROUPS: readonly AgeGroup[] = ["child", "adult", "elderly"];
/** A number per age group. */
export type ByAge = Record<AgeGroup, number>;
/** Indoor propagation class of a place (ITU-R P.1238 categories, plus open air). */
export type Environment = "residential" | "office" | "commercial" | "open-air";
/** The public places every commune has. */
export type PublicPlaceKind = "market" | "pagoda" | "healthStation" | "communeHall";
/** Every public place kind, in a fixed order. */
export const PUBLIC_PLACE_KINDS: readonly PublicPlaceKind[] = ["market", "pagoda", "healthStation", "communeHall"];

/** How a kind of place is laid out and how people stand in it. */
export interface PlaceSpec {
  /** Size of the floor, m. */
  widthM: number;
  depthM: number;
  environment: Environment;
  /** Enclosed by brick walls (radio loss on the way in or out). */
  walls: boolean;
  /** Spots people gather around (stalls, mats, benches, the family table). */
  anchors: number;
  /** Standard deviation of a person's distance from the spot, m. */
  spreadM: number;
  /** Mean time before someone moves to another spot, minutes. */
  dwellMinutes: number;
}

/** A kind of outing: who goes, when it may start (local time, minutes after midnight) and how long it lasts. */
export interface Outing {
  /** Chance per day (per qualifying day where the outing has its own days). */
  probability: ByAge;
  /** Earliest and latest start, minutes after local midnight. */
  from: number;
  to: number;
  /** Shortest and longest stay, minutes. */
  minutes: [number, number];
}

/** A whole scenario. Clock times are minutes after local midnight. */
export interface Scenario {
  name: string;
  description: string;
  /** First simulated day (UTC midnight), YYYY-MM-DD. */
  startDate: string;
  days: number;
  /** Local time minus UTC, hours (Vietnam: 7). */
  utcOffsetHours: number;
  residents: number;
  ageShares: ByAge;
  households: {
    /** Relative frequency of household sizes 1..6. */
    sizeWeights: number[];
    /** Houses per row: row houses share their side walls. */
    housesPerRow: number;
    /** Width of the lane between two rows, m. */
    laneWidthM: number;
    house: PlaceSpec;
  };
  places: Record<PublicPlaceKind, PlaceSpec>;
  adoption: {
    /** Share of each age group owning a smartphone. */
    smartphone: ByAge;
    /** Share of all residents running a GAEN app, and Bluezone (smartphone owners only; DESIGN: 6–60 %). */
    gaen: number;
    bluezone: number;
    /** Share of each age group, among residents without a phone app, handed a tag. */
    tags: ByAge;
    /** Exact number of tags to hand out instead (residents without a phone app first, elderly first); null: use `tags`. */
    tagCount: number | null;
  };
  routine: {
    wakeUp: number;
    bedTime: number;
    /** Days away from the commune's places (fields, school, town): no contact modelled there. */
    work: Outing;
    market: Outing & {
      /** Market days, 0 = Sunday .. 6 = Saturday. */
      daysOfWeek: number[];
      /** Share of adults who keep a stall every market day from opening to closing. */
      vendorShare: number;
      opens: number;
      closes: number;
    };
    pagoda: Outing & {
      /** Lunar days of the month with ceremonies (1st and 15th). */
      lunarDays: number[];
      /** Chance on other days. */
      otherDays: ByAge;
    };
    healthStation: Outing;
    communeHall: Outing & {
      /** Collection days, 0 = Sunday .. 6 = Saturday: staff sync tags at the hall. */
      collectionDays: number[];
      /** Chance a tag wearer comes on a collection day. */
      tagWearers: number;
    };
    /** Visits to a neighbour's house (tea, family). */
    neighbours: Outing & {
      /** Visits go to a house at most this many doors away in the same row. */
      maxDoors: number;
    };
  };
  epidemic: {
    /** Residents infected on day 0. */
    initialInfections: number;
    /** Chance of infection per minute of close contact with an infectious resident. */
    transmissionPerCloseMinute: number;
    /** Days from infection to infectious, and how long infectiousness lasts. */
    latentDays: number;
    infectiousDays: number;
    /** Share of infections that are diagnosed. */
    diagnosedShare: number;
    /** Days from infection to diagnosis, [min, max]. */
    diagnosisDays: [number, number];
    /** Days from diagnosis to the keys being published. */
    publicationDelayDays: number;
  };
}

/** Why a scenario was refused: every problem, each with the path of the field. */
export interface ScenarioErrors {
  errors: string[];
}

/** A checker: the value if valid, else undefined with the problems appended to `errors`. */
type Check<T> = (value: unknown, path: string, errors: string[]) => T | undefined;

function describe(value: unknown): string {
  return value === undefined ? "nothing" : JSON.stringify(value);
}

function numberIn(min: number, max: number, integer = false): Check<number> {
  return (value, path, errors) => {
    if (typeof value !== "number" || !Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
      errors.push(`${path} must be ${integer ? "an integer" : "a number"} in ${min}..${max} (got ${describe(value)})`);
      return undefined;
    }
    return value;
  };
}

const share = numberIn(0, 1);

function text(maxLength: number): Check<string> {
  return (value, path, errors) => {
    if (typeof value !== "string" || value.length > maxLength) {
      errors.push(`${path} must be a string of at most ${maxLength} characters (got ${describe(value)})`);
      return undefined;
    }
    return value;
  };
}

function oneOf<T extends string>(values: readonly T[]): Check<T> {
  return (value, path, errors) => {
    if (typeof value !== "string" || !values.includes(value as T)) {
      errors.push(`${path} must be one of ${values.join(", ")} (got ${describe(value)})`);
      return undefined;
    }
    return value as T;
  };
}

function nullOr<T>(check: Check<T>): Check<T | null> {
  return (value, path, errors) => (value === null ? null : check(value, path, errors));
}

const booleanValue: Check<boolean> = (value, path, errors) => {
  if (typeof value !== "boolean") {
    errors.push(`${path} must be true or false (got ${describe(value)})`);
    return undefined;
  }
  return value;
};

/** "HH:MM" local time → minutes after midnight. */
const clock: Check<number> = (value, path, errors) => {
  const match = typeof value === "string" ? /^([01]\d|2[0-3]):([0-5]\d)$/.exec(value) : null;
  if (!match) {
    errors.push(`${path} must be a time "HH:MM" from 00:00 to 23:59 (got ${describe(value)})`);
    return undefined;
  }
  return Number(match[1]) * 60 + Number(match[2]);
};

const isoDate: Check<string> = (value, path, errors) => {
  if (typeof value !== "string" || !/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`))) {
    errors.push(`${path} must be a date "YYYY-MM-DD" (got ${describe(value)})`);
    return undefined;
  }
  return value;
};

function list<T>(item: Check<T>, minLength: number, maxLength: number): Check<T[]> {
  return (value, path, errors) => {
    if (!Array.isArray(value) || value.length < minLength || value.length > maxLength) {
      const size = minLength === maxLength ? `${minLength}` : `${minLength}..${maxLength}`;
      errors.push(`${path} must be a list of ${size} items (got ${describe(value)})`);
      return undefined;
    }
    const out: T[] = [];
    value.forEach((v, i) => {
      const checked = item(v, `${path}[${i}]`, errors);
      if (checked !== undefined) out.push(checked);
    });
    return out.length === value.length ? out : undefined;
  };
}

/** [min, max] with min ≤ max. */
function range(min: number, max: number): Check<[number, number]> {
  const pair = list(numberIn(min, max), 2, 2);
  return (value, path, errors) => {
    const checked = pair(value, path, errors);
    if (checked === undefined) return undefined;
    if (checked[0]! > checked[1]!) {
      errors.push(`${path} must be [min, max] with min ≤ max (got ${describe(value)})`);
      return undefined;
    }
    return [checked[0]!, checked[1]!];
  };
}

type Fields<T> = { [K in keyof T]-?: Check<T[K]> };

/** An object with exactly these fields (a missing or unknown field is an error, which catches typos). */
function record<T>(fields: Fields<T>): Check<T> {
  return (value, path, errors) => {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      errors.push(`${path} must be an object (got ${describe(value)})`);
      return undefined;
    }
    const input = value as Record<string, unknown>;
    for (const key of Object.keys(input)) {
      if (!(key in fields)) errors.push(`${path}.${key} is not a known field (known: ${Object.keys(fields).join(", ")})`);
    }
    const out: Record<string, unknown> = {};
    let complete = true;
    for (const key of Object.keys(fields) as (keyof T & string)[]) {
      const checked = fields[key](input[key], `${path}.${key}`, errors);
      if (checked === undefined) complete = false;
      else out[key] = checked;
    }
    return complete ? (out as T) : undefined;
  };
}

/** A record and then a condition on the whole of it. */
function withRule<T>(check: Check<T>, rule: (value: T) => string | null): Check<T> {
  return (value, path, errors) => {
    const checked = check(value, path, errors);
    if (checked === undefined) return undefined;
    const problem = rule(checked);
    if (problem) {
      errors.push(`${path} ${problem}`);
      return undefined;
    }
    return checked;
  };
}

const byAge = (check: Check<number>): Check<ByAge> => record<ByAge>({ child: check, adult: check, elderly: check });
const weekday = numberIn(0, 6, true);

const outingFields: Fields<Outing> = {
  probability: byAge(share),
  from: clock,
  to: clock,
  minutes: range(1, 24 * 60),
};

/** An outing's start window runs forwards within one day. */
function startWindow<T extends Outing>(o: T): string | null {
  return o.from <= o.to ? null : "must have from ≤ to (starts are drawn in between, the same day)";
}

const placeSpec: Check<PlaceSpec> = record<PlaceSpec>({
  widthM: numberIn(2, 500),
  depthM: numberIn(2, 500),
  environment: oneOf<Environment>(["residential", "office", "commercial", "open-air"]),
  walls: booleanValue,
  anchors: numberIn(1, 500, true),
  spreadM: numberIn(0, 50),
  dwellMinutes: numberIn(1, 24 * 60),
});

const scenarioCheck: Check<Scenario> = withRule(
  record<Scenario>({
    name: text(64),
    description: text(2000),
    startDate: isoDate,
    days: numberIn(1, MAX_DAYS, true),
    utcOffsetHours: numberIn(-12, 14, true),
    residents: numberIn(2, MAX_RESIDENTS, true),
    ageShares: withRule(byAge(share), (a) => (Math.abs(a.child + a.adult + a.elderly - 1) < 1e-6 ? null : "must add up to 1")),
    households: record<Scenario["households"]>({
      sizeWeights: withRule(list(numberIn(0, 1000), MAX_HOUSEHOLD_SIZE, MAX_HOUSEHOLD_SIZE), (w) =>
        w.some((x) => x > 0) ? null : "must give some size a weight above 0"
      ),
      housesPerRow: numberIn(1, 100, true),
      laneWidthM: numberIn(1, 100),
      house: placeSpec,
    }),
    places: record<Record<PublicPlaceKind, PlaceSpec>>({ market: placeSpec, pagoda: placeSpec, healthStation: placeSpec, communeHall: placeSpec }),
    adoption: withRule(
      record<Scenario["adoption"]>({ smartphone: byAge(share), gaen: share, bluezone: share, tags: byAge(share), tagCount: nullOr(numberIn(0, MAX_RESIDENTS, true)) }),
      (a) => (a.gaen + a.bluezone <= 1 ? null : "must have gaen + bluezone ≤ 1")
    ),
    routine: withRule(
      record<Scenario["routine"]>({
        wakeUp: clock,
        bedTime: clock,
        work: withRule(record<Outing>(outingFields), startWindow),
        market: withRule(
          record<Scenario["routine"]["market"]>({
            ...outingFields,
            daysOfWeek: list(weekday, 0, 7),
            vendorShare: share,
            opens: clock,
            closes: clock,
          }),
          (m) => startWindow(m) ?? (m.opens < m.closes ? null : "must have opens before closes")
        ),
        pagoda: withRule(
          record<Scenario["routine"]["pagoda"]>({ ...outingFields, lunarDays: list(numberIn(1, 30, true), 0, 30), otherDays: byAge(share) }),
          startWindow
        ),
        healthStation: withRule(record<Outing>(outingFields), startWindow),
        communeHall: withRule(
          record<Scenario["routine"]["communeHall"]>({ ...outingFields, collectionDays: list(weekday, 0, 7), tagWearers: share }),
          startWindow
        ),
        neighbours: withRule(record<Scenario["routine"]["neighbours"]>({ ...outingFields, maxDoors: numberIn(1, 50, true) }), startWindow),
      }),
      (r) => (r.wakeUp < r.bedTime ? null : "must have wakeUp before bedTime")
    ),
    epidemic: record<Scenario["epidemic"]>({
      initialInfections: numberIn(0, MAX_RESIDENTS, true),
      transmissionPerCloseMinute: share,
      latentDays: numberIn(0, 30),
      infectiousDays: numberIn(0, 30),
      diagnosedShare: share,
      diagnosisDays: range(0, 30),
      publicationDelayDays: numberIn(0, 30),
    }),
  }),
  (s) => {
    const phoneShare = AGE_GROUPS.reduce((sum, g) => sum + s.ageShares[g] * s.adoption.smartphone[g], 0);
    if (s.adoption.gaen + s.adoption.bluezone > phoneShare + 1e-9) {
      return `has adoption.gaen + adoption.bluezone = ${round(s.adoption.gaen + s.adoption.bluezone)}, more than the ${round(phoneShare)} of residents who own a smartphone`;
    }
    if (s.epidemic.initialInfections > s.residents) return `has epidemic.initialInfections above residents (${s.residents})`;
    if (s.adoption.tagCount !== null && s.adoption.tagCount > s.residents) return `has adoption.tagCount above residents (${s.residents})`;
    return null;
  }
);

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** Checks parsed JSON against the scenario schema: the scenario, or every problem found, each with its path. */
export function parseScenario(json: unknown, source = "scenario"): Scenario | ScenarioErrors {
  const errors: string[] = [];
  const scenario = scenarioCheck(json, source, errors);
  return scenario === undefined || errors.length > 0 ? { errors } : scenario;
}

/** Whether a parse gave errors. */
export function isScenarioErrors(x: Scenario | ScenarioErrors): x is ScenarioErrors {
  return "errors" in x;
}

/** Names of the bundled scenarios (sim/scenarios/*.json). */
export function bundledScenarios(): string[] {
  return readdirSync(SCENARIO_DIR)
    .filter((f) => f.endsWith(".json"))
    .map((f) => basename(f, ".json"))
    .sort();
}

/** Reads a scenario by bundled name ("commune") or by path to a JSON file. */
export function loadScenario(nameOrPath: string): Scenario | ScenarioErrors {
  const path = nameOrPath.endsWith(".json") ? nameOrPath : join(SCENARIO_DIR, `${nameOrPath}.json`);
  if (!existsSync(path)) {
    return { errors: [`unknown scenario "${nameOrPath}": bundled scenarios are ${bundledScenarios().join(", ")}, or give a path to a .json file`] };
  }
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    return { errors: [`${path} is not valid JSON: ${e instanceof Error ? e.message : String(e)}`] };
  }
  return parseScenario(json, basename(path));
}

/** Changes a run may make to a scenario from the command line. */
export interface ScenarioOverrides {
  days?: number;
  residents?: number;
  /** Exact number of tags to hand out (instead of the adoption shares). */
  tags?: number;
}

/** The scenario with command-line overrides applied, each checked under its option name. */
export function applyOverrides(scenario: Scenario, overrides: ScenarioOverrides): Scenario | ScenarioErrors {
  const errors: string[] = [];
  const option = <T>(value: T | undefined, check: Check<T>, name: string): T | undefined =>
    value === undefined ? undefined : check(value, name, errors);
  const days = option(overrides.days, numberIn(1, MAX_DAYS, true), "--days");
  const residents = option(overrides.residents, numberIn(2, MAX_RESIDENTS, true), "--residents");
  const next: Scenario = { ...scenario, days: days ?? scenario.days, residents: residents ?? scenario.residents };
  const tags = option(overrides.tags, numberIn(0, next.residents, true), "--tags");
  next.adoption = { ...scenario.adoption, tagCount: tags ?? scenario.adoption.tagCount };
  if (errors.length > 0) return { errors };
  return parseScenario(toJson(next), scenario.name);
}

/** A scenario back in its file form (clock times as "HH:MM"). */
export function toJson(scenario: Scenario): unknown {
  const r = scenario.routine;
  const outing = <T extends Outing>(o: T) => ({ ...o, from: hhmm(o.from), to: hhmm(o.to) });
  return {
    ...scenario,
    routine: {
      wakeUp: hhmm(r.wakeUp),
      bedTime: hhmm(r.bedTime),
      work: outing(r.work),
      market: { ...outing(r.market), opens: hhmm(r.market.opens), closes: hhmm(r.market.closes) },
      pagoda: outing(r.pagoda),
      healthStation: outing(r.healthStation),
      communeHall: outing(r.communeHall),
      neighbours: outing(r.neighbours),
    },
  };
}

/** Minutes after midnight as "HH:MM". */
export function hhmm(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, "0")}:${String(minutes % 60).padStart(2, "0")}`;
}
