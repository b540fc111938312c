import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from "node:fs";
import path from "node:path";
import { LedgerError } from "./errors.js";

export type JournalEntry =
  | { kind: "sent"; raw: string; timestamp: number }
  | { kind: "mined"; hash: string; blockNumber: number; blockHash: string };

/**
 * The embedded chain's journal: every raw transaction in the order it was mined, with its block
 * time, appended and fsynced before it is sent, so the chain can be rebuilt byte for byte. The
 * block it was mined in is appended after, as a check for the rebuild, without an fsync of its own:
 * the next transaction's fsync makes it durable, and a crash that loses it loses only that check
 * (a torn last line is skipped on reading).
 */
export function createChainJournal(file: string) {
  mkdirSync(path.dirname(file), { recursive: true });

  function append(entry: JournalEntry) {
    const fd = openSync(file, "a");
    try {
      writeSync(fd, `${JSON.stringify(entry)}\n`);
      if (entry.kind === "sent") fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  return {
    file,
    append,
    read(): JournalEntry[] {
      if (!existsSync(file)) return [];
      const lines = readFileSync(file, "utf8").split("\n");
      const entries: JournalEntry[] = [];
      lines.forEach((line, index) => {
        if (!line.trim()) return;
        try {
          entries.push(JSON.parse(line) as JournalEntry);
        } catch (cause) {
          // Only the last line can be torn by a crash mid-write; anything earlier is corruption.
          if (index < lines.length - 2)
            throw new LedgerError("journal_corrupt", `chain journal ${file} line ${index + 1} is not JSON`, { cause });
        }
      });
      return entries;
    },
  };
}

export type ChainJournal = ReturnType<typeof createChainJournal>;
