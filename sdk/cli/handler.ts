import { readFileSync } from "node:fs";
import type { SluiceClient } from "../client.js";
import { usage } from "./help.js";

/** Exit codes scripts can rely on. */
export const EXIT = { ok: 0, refused: 1, usage: 2, unavailable: 3 } as const;

export class UsageError extends Error {}

export interface Invocation {
  command: string;
  args: string[];
  options: Record<string, string | boolean | string[] | undefined>;
  json: boolean;
}

export type Handler = (client: SluiceClient, call: Helpers) => Promise<number>;

export interface Helpers {
  arg(index: number, what: string): string;
  option(name: string, what: string): string;
  body(): Record<string, unknown>;
  print(value: unknown, human: () => string): void;
  call: Invocation;
}

export function helpers(call: Invocation): Helpers {
  const fail = (what: string): never => {
    throw new UsageError(`${call.command} needs ${what}\n\n${usage(call.command)}`);
  };
  const option = (name: string, what: string) => {
    const value = call.options[name];
    return typeof value === "string" && value !== "" ? value : fail(what);
  };
  return {
    call,
    arg: (index, what) => call.args[index] ?? fail(what),
    option,
    body: () => JSON.parse(readFileSync(option("body", "--body <file.json>"), "utf8")) as Record<string, unknown>,
    print: (value, human) => console.log(call.json ? JSON.stringify(value, null, 2) : human()),
  };
}

/** A list file: one entry per line, blank lines and # comments skipped. */
export function readListFile(file: string, what: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new UsageError(`cannot read ${what} ${file}: ${(error as Error).message}`);
  }
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
}
