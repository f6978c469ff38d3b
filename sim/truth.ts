/**
 * Ground truth, from the residents' tracks rather than from any radio: who was close to whom, for how long,
 * on which UTC day; and an epidemic that spreads along those contacts, with diagnoses and key publication.
 *
 * A close contact (DESIGN: ≤ 2 m, ≥ 15 minutes a day) is counted per pair of residents per UTC day (the
 * day exposure scoring works in): the time both stood within 2 m of each other in the same place, summed
 * over the day. Two people in different places never count, whatever the distance: a wall between them
 * stops droplets as it stops conversation.
 */
import { Random } from "./random";
import { Scenario } from "./scenario";
import { AWAY, DAY_S, Tracks } from "./world";

/** Closer than this is "close", m. */
export const CLOSE_DISTANCE_M = 2;
/** A pair is a close contact on a day from this much close time, s (15 minutes). */
export const CLOSE_CONTACT_SECONDS = 15 * 60;

/** Time two residents spent within the close distance on one UTC day. */
export interface PairDay {
  /** Resident indexes, a < b. */
  a: number;
  b: number;
  /** UTC day number. */
  day: number;
  seconds: number;
  /** First moment they were close that day, Unix s. */
  first: number;
}

/** The tracks as truth needs them. */
export interface TruthInput {
  tracks: Tracks;
  residents: number;
  places: number;
}

/** Key of a pair-day in a map: exact in a double for up to 2^20 residents and any day after 1970. */
function pairDayKey(a: number, b: number, day: number): number {
  return (day * 1048576 + a) * 1048576 + b;
}

/**
 * Every pair-day with any time within `distanceM`, in the same place. Each pair of overlapping segments in
 * a place is compared once, when the later one starts; the overlap is split at UTC midnights.
 */
export function closeTime(input: TruthInput, distanceM = CLOSE_DISTANCE_M): PairDay[] {
  const t = input.tracks;
  const byPlace: number[][] = Array.from({ length: input.places }, () => []);
  for (let s = 0; s < t.count; s++) if (t.place[s] !== AWAY) byPlace[t.place[s]!]!.push(s);
  const found = new Map<number, PairDay>();
  const limit2 = distanceM * distanceM;
  for (const segments of byPlace) {
    segments.sort((p, q) => t.start[p]! - t.start[q]!);
    let active: number[] = [];
    for (const s of segments) {
      const start = t.start[s]!;
      active = active.filter((o) => t.end[o]! > start);
      for (const o of active) {
        const ra = t.resident[s]!;
        const rb = t.resident[o]!;
        if (ra === rb) continue;
        const dx = t.x[s]! - t.x[o]!;
        const dy = t.y[s]! - t.y[o]!;
        if (dx * dx + dy * dy > limit2) continue;
        const a = Math.min(ra, rb);
        const b = Math.max(ra, rb);
        const until = Math.min(t.end[s]!, t.end[o]!);
        for (let from = start; from < until; ) {
          const day = Math.floor(from / DAY_S);
          const cut = Math.min(until, (day + 1) * DAY_S);
          const key = pairDayKey(a, b, day);
          const entry = found.get(key);
          if (entry) {
            entry.seconds += cut - from;
            entry.first = Math.min(entry.first, from);
          } else {
            found.set(key, { a, b, day, seconds: cut - from, first: from });
          }
          from = cut;
        }
      }
      active.push(s);
    }
  }
  return [...found.values()].sort((p, q) => p.day - q.day || p.a - q.a || p.b - q.b);
}

/** The close contacts: pair-days with at least `minSeconds` close. */
export function closeContacts(pairDays: readonly PairDay[], minSeconds = CLOSE_CONTACT_SECONDS): PairDay[] {
  return pairDays.filter((p) => p.seconds >= minSeconds);
}

/** One infection and what followed it (Unix s; null when it did not happen within the run). */
export interface Infection {
  resident: number;
  at: number;
  /** Who infected them; null for the initial cases. */
  source: number | null;
  infectiousFrom: number;
  infectiousUntil: number;
  diagnosedAt: number | null;
  /** Keys published (tag keys by the gateway, phone keys by the app). */
  publishedAt: number | null;
}

/**
 * The epidemic: initial cases on the first day, then, day by day, each pair-day with close time between an
 * infectious and a susceptible resident infects with probability 1 − (1 − p)^minutes, at the pair's first
 * close moment that day. Diagnosed cases (a share) are diagnosed some days after infection and their keys
 * published a fixed delay later. Behaviour does not change after diagnosis (no isolation is modelled).
 */
export function spreadEpidemic(scenario: Scenario, pairDays: readonly PairDay[], residents: number, runStart: number, runEnd: number, random: Random): Infection[] {
  const e = scenario.epidemic;
  const infections = new Map<number, Infection>();
  const infect = (resident: number, at: number, source: number | null) => {
    const infectiousFrom = at + e.latentDays * DAY_S;
    const diagnosed = random.chance(e.diagnosedShare);
    const diagnosedAt = diagnosed ? at + random.uniform(e.diagnosisDays[0], e.diagnosisDays[1]) * DAY_S : null;
    const publishedAt = diagnosedAt === null ? null : diagnosedAt + e.publicationDelayDays * DAY_S;
    infections.set(resident, {
      resident,
      at,
      source,
      infectiousFrom,
      infectiousUntil: infectiousFrom + e.infectiousDays * DAY_S,
      diagnosedAt: diagnosedAt !== null && diagnosedAt < runEnd ? diagnosedAt : null,
      publishedAt: publishedAt !== null && publishedAt < runEnd ? publishedAt : null,
    });
  };
  const initial = random.shuffle(Array.from({ length: residents }, (_, i) => i)).slice(0, Math.min(residents, e.initialInfections));
  for (const r of initial) infect(r, runStart + random.uniform(0, DAY_S), null);
  // Pair-days come sorted by day, so infections made on a day can spread from the next day on.
  for (const p of pairDays) {
    for (const [from, to] of [
      [p.a, p.b],
      [p.b, p.a],
    ] as const) {
      const source = infections.get(from);
      if (!source || infections.has(to)) continue;
      if (p.first < source.infectiousFrom || p.first >= source.infectiousUntil) continue;
      if (random.chance(1 - Math.pow(1 - e.transmissionPerCloseMinute, p.seconds / 60))) infect(to, p.first, from);
    }
  }
  return [...infections.values()].sort((p, q) => p.at - q.at);
}
