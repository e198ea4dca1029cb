/**
 * Standard 5-field cron expressions (minute hour day-of-month month day-of-week), evaluated in the server's local
 * time zone, as the Python CAO's scheduler does (docs/flows.md#schedules). Supported: `*`, numbers, lists (`1,15`),
 * ranges (`1-5`), steps (`*`/5, `10-50/10`, `5/15`), month and weekday names (`jan`, `mon-fri`), 0 or 7 for Sunday,
 * and standard cron's rule for the two day fields: when both are restricted, a day matches if either matches.
 */

export class CronError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CronError";
  }
}

export interface CronSchedule {
  /** The expression as given. */
  readonly source: string;
  readonly minutes: ReadonlySet<number>;
  readonly hours: ReadonlySet<number>;
  readonly daysOfMonth: ReadonlySet<number>;
  readonly months: ReadonlySet<number>;
  /** 0 = Sunday … 6 = Saturday (a 7 in the expression is folded into 0). */
  readonly daysOfWeek: ReadonlySet<number>;
  /** Whether each day field was written starting with `*` (cron's test for "unrestricted", `*`/2 included). */
  readonly anyDayOfMonth: boolean;
  readonly anyDayOfWeek: boolean;
}

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
  /** The value the first name stands for (months start at 1, weekdays at 0). */
  namesFrom?: number;
}

const MONTH_NAMES = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const DAY_NAMES = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

const FIELDS: readonly FieldSpec[] = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day of month", min: 1, max: 31 },
  { name: "month", min: 1, max: 12, names: MONTH_NAMES, namesFrom: 1 },
  { name: "day of week", min: 0, max: 7, names: DAY_NAMES, namesFrom: 0 },
];

/** Parses a cron expression; a CronError names the field and what is wrong with it. */
export function parseCron(expression: string): CronSchedule {
  if (typeof expression !== "string") throw new CronError("must be a string of 5 fields");
  const parts = expression.trim().split(/\s+/);
  if (parts.length !== 5 || parts[0] === "")
    throw new CronError(
      `must have 5 fields (minute hour day-of-month month day-of-week), got ${parts[0] === "" ? 0 : parts.length}`,
    );
  const sets = parts.map((part, i) => parseField(part, FIELDS[i]!));
  const daysOfWeek = new Set([...sets[4]!].map((day) => day % 7));
  return {
    source: expression,
    minutes: sets[0]!,
    hours: sets[1]!,
    daysOfMonth: sets[2]!,
    months: sets[3]!,
    daysOfWeek,
    anyDayOfMonth: parts[2]!.startsWith("*"),
    anyDayOfWeek: parts[4]!.startsWith("*"),
  };
}

function parseField(text: string, spec: FieldSpec): Set<number> {
  const values = new Set<number>();
  for (const item of text.split(",")) {
    if (item === "") throw new CronError(`${spec.name} field "${text}" has an empty list item`);
    const [range, stepText, extra] = item.split("/");
    if (extra !== undefined) throw new CronError(`${spec.name} field "${item}" has more than one "/"`);
    let step = 1;
    if (stepText !== undefined) {
      if (!/^[0-9]+$/.test(stepText) || Number(stepText) === 0)
        throw new CronError(`${spec.name} step "${stepText}" must be a positive integer`);
      step = Number(stepText);
    }
    let low: number;
    let high: number;
    if (range === "*") {
      low = spec.min;
      high = spec.max;
    } else {
      const bounds = range!.split("-");
      if (bounds.length > 2) throw new CronError(`${spec.name} range "${range}" must be "low-high"`);
      low = value(bounds[0]!, spec);
      // `5/15` means from 5 to the end, every 15 (as in Vixie cron).
      high = bounds.length === 2 ? value(bounds[1]!, spec) : stepText !== undefined ? spec.max : low;
      if (low > high) throw new CronError(`${spec.name} range "${range}" runs backwards`);
    }
    for (let v = low; v <= high; v += step) values.add(v);
  }
  return values;
}

function value(text: string, spec: FieldSpec): number {
  let n: number;
  const named = spec.names?.indexOf(text.toLowerCase()) ?? -1;
  if (named >= 0) n = named + spec.namesFrom!;
  else if (/^[0-9]{1,2}$/.test(text)) n = Number(text);
  else
    throw new CronError(
      `${spec.name} value "${text}" is not a number${spec.names ? ` or a name (${spec.names.join(", ")})` : ""}`,
    );
  if (n < spec.min || n > spec.max)
    throw new CronError(`${spec.name} value ${text} is out of range ${spec.min}-${spec.max}`);
  return n;
}

/** Whether a local calendar day matches: standard cron ORs the two day fields when both are restricted. */
function dayMatches(schedule: CronSchedule, date: Date): boolean {
  const byMonth = schedule.daysOfMonth.has(date.getDate());
  const byWeek = schedule.daysOfWeek.has(date.getDay());
  if (schedule.anyDayOfMonth && schedule.anyDayOfWeek) return true;
  if (schedule.anyDayOfMonth) return byWeek;
  if (schedule.anyDayOfWeek) return byMonth;
  return byMonth || byWeek;
}

/** How far ahead a next run is looked for: any valid expression fires within 4 years (29 February every 4 years). */
const SEARCH_YEARS = 5;

/**
 * The first whole local minute strictly after `after` that the schedule matches; undefined when it never fires
 * (e.g. `0 0 31 2 *`). Walks month → day → hour → minute, skipping whole units that cannot match.
 */
export function nextRun(schedule: CronSchedule, after: Date): Date | undefined {
  const t = new Date(after.getTime());
  t.setSeconds(0, 0);
  t.setTime(t.getTime() + 60_000);
  const limit = after.getFullYear() + SEARCH_YEARS;
  // When the clocks go back, an hour of wall-clock times comes again: a time already passed is not run twice.
  const passed = wallClock(after);
  while (t.getFullYear() <= limit) {
    if (!schedule.months.has(t.getMonth() + 1)) {
      t.setMonth(t.getMonth() + 1, 1);
      t.setHours(0, 0, 0, 0);
      continue;
    }
    if (!dayMatches(schedule, t)) {
      t.setDate(t.getDate() + 1);
      t.setHours(0, 0, 0, 0);
      continue;
    }
    if (!schedule.hours.has(t.getHours())) {
      const hour = t.getHours();
      t.setHours(hour + 1, 0, 0, 0);
      // A DST change can map the next local hour back onto this one; step by absolute time then.
      if (t.getHours() === hour) t.setTime(t.getTime() + 3_600_000);
      continue;
    }
    if (!schedule.minutes.has(t.getMinutes()) || wallClock(t) <= passed) {
      t.setTime(t.getTime() + 60_000);
      continue;
    }
    return t;
  }
  return undefined;
}

/** A local time as one number that orders wall-clock minutes (year, month, day, hour, minute). */
function wallClock(d: Date): number {
  return (((d.getFullYear() * 12 + d.getMonth()) * 31 + d.getDate()) * 24 + d.getHours()) * 60 + d.getMinutes();
}
