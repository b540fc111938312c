import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { ColumnSpec } from "../node/datastore.js";
import { DuckDbFiles, type FileSourceSettings } from "./duckdb-engine.js";
import { createSqlDataStore } from "./sql-store.js";

// Files queried in place through the node's embedded DuckDB: real exports, quoted as RFC 4180
// says, in UTF-8 or GB18030, one file or a directory of them.

const dir = mkdtempSync(path.join(tmpdir(), "sluice-duckdb-"));
const files = new DuckDbFiles({
  threads: 1,
  memoryLimit: "128MB",
  tempDirectory: path.join(dir, "spill"),
  cacheDirectory: path.join(dir, "copies"),
  statementTimeoutMs: 30_000,
});
afterAll(async () => {
  await files.close();
  rmSync(dir, { recursive: true, force: true });
});

const columns: ColumnSpec[] = [
  { name: "uscc", type: "string" },
  { name: "name", type: "string" },
  { name: "district", type: "string" },
  { name: "wages_fen", type: "integer" },
];
const csv = (settings: Partial<FileSourceSettings> & { path: string }) =>
  createSqlDataStore([
    { id: "ds", columns, engine: files.engine({ format: "csv", encoding: "utf-8", delimiter: ",", ...settings }) },
  ]);
const byDistrict = {
  aggregate: "sum" as const,
  filters: [],
  groupBy: { field: "district", values: ["西湖区", "上城区"] },
};
const names = async (store: ReturnType<typeof csv>) => {
  const found: string[] = [];
  for await (const batch of store.identifiers("ds", "name")) found.push(...batch.ids);
  return found.sort();
};

const EXPORT = [
  "uscc,name,district,wages_fen",
  '91330100MA27XK1A2B,"杭州某某科技有限公司, 滨江分公司",西湖区,100',
  '91330100MA27XK1A3C,"所谓""优质""企业",上城区,20',
  '91330100MA27XK1A4D,"两行\r\n的名称",西湖区,3',
].join("\r\n");

describe("a CSV export read through DuckDB", () => {
  it("reads RFC 4180 quoting: commas, doubled quotes and line breaks inside a field", async () => {
    const file = path.join(dir, "export.csv");
    writeFileSync(file, EXPORT);
    const store = csv({ path: file });
    expect(await store.aggregate("ds", "wages_fen", byDistrict)).toEqual([2n, 103n, 1n, 20n]);
    expect(await names(store)).toEqual(["两行\r\n的名称", '所谓"优质"企业', "杭州某某科技有限公司, 滨江分公司"].sort());
  });

  it("reads a GB18030 export as the same text, and its next version after it changes", async () => {
    const file = path.join(dir, "gb18030.csv");
    // glibc's iconv, an encoder independent of the decoder under test; 中 is D6 D0 in GB18030.
    const encode = (text: string) => execFileSync("iconv", ["-f", "UTF-8", "-t", "GB18030"], { input: text });
    expect(encode("中").toString("hex")).toBe("d6d0");
    writeFileSync(file, encode(EXPORT));
    const store = csv({ path: file, encoding: "gb18030" });
    expect(await store.aggregate("ds", "wages_fen", byDistrict)).toEqual([2n, 103n, 1n, 20n]);
    expect(await names(store)).toContain("杭州某某科技有限公司, 滨江分公司");
    writeFileSync(file, encode(`${EXPORT}\r\n91330100MA27XK1A5E,新企业,上城区,5`));
    expect(await store.aggregate("ds", "wages_fen", byDistrict)).toEqual([2n, 103n, 2n, 25n]);
  });

  it("refuses bytes that are not GB18030 rather than reading replacement characters", async () => {
    const file = path.join(dir, "broken.csv");
    writeFileSync(
      file,
      Buffer.concat([
        Buffer.from("uscc,name,district,wages_fen\r\nA,"),
        Buffer.from([0x81, 0x20]),
        Buffer.from(",西,1"),
      ]),
    );
    await expect(csv({ path: file, encoding: "gb18030" }).aggregate("ds", "wages_fen", byDistrict)).rejects.toThrow(
      /is not GB18030 text/,
    );
  });

  it("reads a directory of files as one dataset, a file added since counting in the next job", async () => {
    const folder = path.join(dir, "daily");
    mkdirSync(folder);
    writeFileSync(path.join(folder, "2026-12-01.csv"), EXPORT);
    const store = csv({ path: folder });
    expect(await store.aggregate("ds", "wages_fen", byDistrict)).toEqual([2n, 103n, 1n, 20n]);
    writeFileSync(
      path.join(folder, "2026-12-02.csv"),
      "uscc,name,district,wages_fen\r\n91330100MA27XK1A5E,新企业,上城区,5\r\n",
    );
    expect(await store.aggregate("ds", "wages_fen", byDistrict)).toEqual([2n, 103n, 2n, 25n]);
  });

  it("refuses a file that lacks a registered column, naming it, and a value that is not a number", async () => {
    const file = path.join(dir, "drifted.csv");
    writeFileSync(file, "uscc,name,district,wages\r\nA,B,西湖区,1\r\n");
    await expect(csv({ path: file }).aggregate("ds", "wages_fen", byDistrict)).rejects.toThrow(
      /column wages_fen is not in .*drifted.csv/,
    );
    writeFileSync(file, "uscc,name,district,wages_fen\r\nA,B,西湖区,one\r\n");
    await expect(csv({ path: file }).aggregate("ds", "wages_fen", byDistrict)).rejects.toThrow(
      /cannot read .*drifted.csv/,
    );
    await expect(csv({ path: path.join(dir, "absent.csv") }).aggregate("ds", "wages_fen", byDistrict)).rejects.toThrow(
      /absent.csv does not exist/,
    );
  });
});

describe("Parquet read through DuckDB", () => {
  it("queries a typed Parquet file in place, and refuses a column of another type naming it", async () => {
    const source = path.join(dir, "export-for-parquet.csv");
    writeFileSync(source, EXPORT);
    const parquet = path.join(dir, "wages.parquet");
    const copier = csv({ path: source });
    // The node writes nothing: the test makes its Parquet with DuckDB directly.
    const { DuckDBInstance } = await import("@duckdb/node-api");
    const instance = await DuckDBInstance.create(":memory:");
    const connection = await instance.connect();
    await connection.run(
      `COPY (SELECT uscc, name, district, CAST(wages_fen AS BIGINT) AS wages_fen FROM read_csv('${source}', header = true)) TO '${parquet}' (FORMAT parquet)`,
    );
    await connection.run(
      `COPY (SELECT uscc, name, 7 AS district, CAST(wages_fen AS BIGINT) AS wages_fen FROM read_csv('${source}', header = true)) TO '${path.join(dir, "typed.parquet")}' (FORMAT parquet)`,
    );
    connection.closeSync();
    instance.closeSync();
    const store = createSqlDataStore([
      {
        id: "ds",
        columns,
        engine: files.engine({ path: parquet, format: "parquet", encoding: "utf-8", delimiter: "," }),
      },
    ]);
    expect(await store.aggregate("ds", "wages_fen", byDistrict)).toEqual(
      await copier.aggregate("ds", "wages_fen", byDistrict),
    );
    const typed = createSqlDataStore([
      {
        id: "ds",
        columns,
        engine: files.engine({
          path: path.join(dir, "typed.parquet"),
          format: "parquet",
          encoding: "utf-8",
          delimiter: ",",
        }),
      },
    ]);
    await expect(typed.aggregate("ds", "wages_fen", byDistrict)).rejects.toThrow(
      /column district is integer in .*typed.parquet; its registered schema says string/,
    );
  });
});
