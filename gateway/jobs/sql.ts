import sqlParser from "node-sql-parser";
import { SluiceError } from "../../lib/errors.js";

// SQL for analysts: a SELECT over two or three joined datasets, parsed by node-sql-parser
// (PostgreSQL dialect) and turned into the structured joined query the API signs and hashes, which
// the policy engine then checks field by field. Anything outside the subset is refused by name.

const parser = new sqlParser.Parser();
const refuse = (construct: string, hint = "") =>
  new SluiceError("query_invalid", `SQL: ${construct} is not supported${hint ? `; ${hint}` : ""}`);

/** The structured joined query a SQL text stands for (without the scenario, ε, bounds or job id). */
export interface JoinFromSql {
  queryShape: "count" | "sum" | "mean" | "variance";
  on: { datasetId: string; keyField: string }[];
  measure?: string;
  filters: Record<string, unknown>[];
  groupBy?: { field: string; values: string[] };
}

type Node = Record<string, unknown> & { type?: string };

const AGGREGATES: Record<string, JoinFromSql["queryShape"]> = {
  COUNT: "count",
  SUM: "sum",
  AVG: "mean",
  VARIANCE: "variance",
  VAR_POP: "variance",
};
const COMPARISONS: Record<string, string> = {
  "=": "=",
  "!=": "!=",
  "<>": "!=",
  "<": "<",
  "<=": "<=",
  ">": ">",
  ">=": ">=",
};

function columnName(node: Node): string {
  const column = node.column as string | { expr?: { value?: string } };
  return typeof column === "string" ? column : String(column?.expr?.value);
}

/** A literal's value: a number or a string; anything else is refused. */
function literal(node: Node): string | number {
  if (node.type === "number") return Number(node.value);
  if (node.type === "single_quote_string" || node.type === "string") return String(node.value);
  if (node.type === "unary_expr" && node.operator === "-" && (node.expr as Node)?.type === "number")
    return -Number((node.expr as Node).value);
  throw refuse(`the value ${describe(node)}`, "compare a column with a number or a 'quoted' string");
}

function describe(node: Node): string {
  if (node.type === "column_ref") return `${node.table ?? "?"}.${columnName(node)}`;
  if (node.type === "function") return "a function call";
  if (node.type === "aggr_func") return `${String(node.name)}(…)`;
  return `${String(node.type ?? "an expression").replaceAll("_", " ")}`;
}

/** An aggregate's name and argument: COUNT, SUM and AVG parse as aggregates, VARIANCE as a function call. */
function aggregateCall(expr: Node): { name: string; argument: { expr?: Node; distinct?: unknown } } | undefined {
  if (expr.type === "aggr_func")
    return { name: String(expr.name).toUpperCase(), argument: (expr.args as { expr?: Node }) ?? {} };
  if (expr.type !== "function") return undefined;
  const parts = (expr.name as { name?: { value?: string }[] } | undefined)?.name ?? [];
  const name = parts
    .map((p) => p.value)
    .join(".")
    .toUpperCase();
  if (!(name in AGGREGATES)) return undefined;
  const args = ((expr.args as { value?: Node[] } | undefined)?.value ?? []) as Node[];
  if (args.length !== 1) throw refuse(`${name} of ${args.length} arguments`);
  return { name, argument: { expr: args[0] } };
}

/** Parses the SQL and turns it into the structured joined query; throws query_invalid naming what is outside the subset. */
export function joinFromSql(sql: string): JoinFromSql {
  let ast: Node | Node[];
  try {
    ast = parser.astify(sql, { database: "PostgreSQL" }) as unknown as Node | Node[];
  } catch (error) {
    throw new SluiceError("query_invalid", `SQL does not parse: ${(error as Error).message.split("\n")[0]}`);
  }
  if (Array.isArray(ast)) {
    if (ast.length !== 1) throw refuse("more than one statement");
    ast = ast[0] as Node;
  }
  if (ast.type !== "select") throw refuse(`a ${String(ast.type).toUpperCase()} statement`, "only SELECT is");
  for (const [key, construct] of [
    ["with", "WITH"],
    ["having", "HAVING"],
    ["orderby", "ORDER BY"],
    ["window", "WINDOW"],
    ["_next", "UNION"],
  ] as const) {
    if (ast[key]) throw refuse(construct);
  }
  if ((ast.distinct as Node | null)?.type) throw refuse("SELECT DISTINCT");
  if (((ast.limit as { value?: unknown[] } | null)?.value ?? []).length > 0) throw refuse("LIMIT");

  // FROM: the datasets and their aliases; each JOIN's ON equates its key with an earlier dataset's.
  const from = (ast.from as Node[] | null) ?? [];
  if (from.length < 2 || from.length > 3)
    throw refuse(
      from.length < 2 ? "a query over one dataset" : "a join of more than three datasets",
      "join two or three datasets",
    );
  const datasets = new Map<string, string>();
  for (const table of from) {
    if (!table.table || table.expr) throw refuse("a subquery in FROM");
    datasets.set(String(table.as ?? table.table), String(table.table));
  }
  const qualify = (node: Node, what: string) => {
    if (node.type !== "column_ref") throw refuse(`${describe(node)} as ${what}`, "name a column as alias.column");
    if (!node.table)
      throw refuse(`the unqualified column ${columnName(node)}`, "qualify every column with its dataset or alias");
    const datasetId = datasets.get(String(node.table));
    if (!datasetId) throw new SluiceError("query_invalid", `SQL: ${node.table} is not a dataset in FROM`);
    return { datasetId, field: columnName(node) };
  };
  const keys = new Map<string, string>();
  const setKey = (datasetId: string, field: string) => {
    const known = keys.get(datasetId);
    if (known && known !== field) throw refuse(`joining ${datasetId} on two columns (${known}, ${field})`);
    keys.set(datasetId, field);
  };
  for (const table of from.slice(1)) {
    if (table.join !== "INNER JOIN" && table.join !== "JOIN")
      throw refuse(String(table.join ?? "a join without ON"), "only INNER JOIN … ON a.key = b.key is");
    const on = table.on as Node | undefined;
    if (!on || on.type !== "binary_expr" || on.operator !== "=")
      throw refuse("a join condition other than a.key = b.key");
    const left = qualify(on.left as Node, "a join key");
    const right = qualify(on.right as Node, "a join key");
    if (left.datasetId === right.datasetId) throw refuse("a join of a dataset with itself");
    setKey(left.datasetId, left.field);
    setKey(right.datasetId, right.field);
  }
  const on = [...datasets.values()].map((datasetId) => {
    const keyField = keys.get(datasetId);
    if (!keyField) throw new SluiceError("query_invalid", `SQL: ${datasetId} is joined on no key`);
    return { datasetId, keyField };
  });

  // GROUP BY: at most one column, whose reported values a WHERE … IN (…) declares.
  const groupColumns = ((ast.groupby as { columns?: Node[] } | null)?.columns ?? []) as Node[];
  if (groupColumns.length > 1) throw refuse("GROUP BY more than one column");
  const group = groupColumns[0] ? qualify(groupColumns[0], "the group") : undefined;
  const groupName = group && `${group.datasetId}.${group.field}`;

  // SELECT: one aggregate, optionally beside the grouped column.
  let shape: JoinFromSql["queryShape"] | undefined;
  let measure: string | undefined;
  for (const { expr } of ast.columns as { expr: Node }[]) {
    if (expr.type === "column_ref") {
      const column = qualify(expr, "a selected column");
      if (`${column.datasetId}.${column.field}` !== groupName)
        throw refuse(
          `selecting ${column.datasetId}.${column.field} outside an aggregate`,
          "only the grouped column may be",
        );
      continue;
    }
    const call = aggregateCall(expr);
    if (!call) throw refuse(`selecting ${describe(expr)}`);
    if (shape) throw refuse("more than one aggregate", "ask one per query");
    const { name, argument } = call;
    shape = AGGREGATES[name];
    if (!shape) throw refuse(`the aggregate ${name}`, "COUNT, SUM, AVG and VARIANCE are");
    if (argument.distinct) throw refuse(`${name}(DISTINCT …)`);
    if (argument.expr?.type === "star") {
      if (shape !== "count") throw refuse(`${name}(*)`);
    } else if (argument.expr) {
      const column = qualify(argument.expr, `the argument of ${name}`);
      if (shape !== "count") measure = `${column.datasetId}.${column.field}`;
    }
  }
  if (!shape) throw refuse("a SELECT without an aggregate", "select COUNT, SUM, AVG or VARIANCE");

  // WHERE: a conjunction of comparisons, IN lists and BETWEEN on qualified columns.
  const filters: Record<string, unknown>[] = [];
  let groupValues: string[] | undefined;
  const conditions: Node[] = [];
  const flatten = (node: Node | null | undefined) => {
    if (!node) return;
    if (node.type === "binary_expr" && node.operator === "AND") {
      flatten(node.left as Node);
      flatten(node.right as Node);
    } else conditions.push(node);
  };
  flatten(ast.where as Node | null);
  for (const condition of conditions) {
    if (condition.type !== "binary_expr") throw refuse(`${describe(condition)} in WHERE`);
    const operator = String(condition.operator);
    if (operator === "OR") throw refuse("OR in WHERE", "conditions are combined with AND");
    const column = qualify(condition.left as Node, "the left side of a condition");
    const field = `${column.datasetId}.${column.field}`;
    const right = condition.right as Node;
    if (operator === "IN") {
      const values = ((right.value as Node[]) ?? []).map(literal);
      if (field === groupName) groupValues = values.map(String);
      else filters.push({ field, op: "in", values });
    } else if (operator === "BETWEEN") {
      const [min, max] = ((right.value as Node[]) ?? []).map(literal);
      filters.push({ field, op: "between", min, max });
    } else if (COMPARISONS[operator]) {
      filters.push({ field, op: COMPARISONS[operator], value: literal(right) });
    } else throw refuse(`the operator ${operator}`, "=, <>, <, <=, >, >=, IN and BETWEEN are");
  }
  if (group && !groupValues)
    throw new SluiceError(
      "query_invalid",
      `SQL: GROUP BY ${groupName} needs the values to report: add AND ${groupColumns[0]?.table}.${group.field} IN ('…', '…')`,
    );
  return {
    queryShape: shape,
    on,
    ...(measure ? { measure } : {}),
    filters,
    ...(group && groupValues ? { groupBy: { field: groupName as string, values: groupValues } } : {}),
  };
}
