import { inArray } from "drizzle-orm";
import type { AggregateQuery, Filter } from "../../compute/query/schema.js";
import { SluiceError } from "../../lib/errors.js";
import { type DbOrTx, datasets } from "../../store/index.js";

type FieldType = "string" | "integer" | "decimal";

/** A query the catalogue says cannot run as asked: 422, naming the field and the fix. */
export class QueryTypeError extends SluiceError {
  constructor(message: string, field: string) {
    super("query_invalid", message, { details: { field } });
  }
}

const decimalPlaces = (value: number) => {
  const text = String(value);
  if (text.includes("e")) return Number.POSITIVE_INFINITY;
  return text.includes(".") ? (text.split(".")[1] as string).length : 0;
};

/** A numeric constant the field can hold exactly: an integer for an integer field, hundredths at most for a decimal. */
function checkConstant(dataset: string, field: string, type: "integer" | "decimal", value: number) {
  const kept = type === "integer" ? 0 : 2;
  if (decimalPlaces(value) > kept) {
    throw new QueryTypeError(
      type === "integer"
        ? `${dataset}.${field} holds whole numbers; compare it with a whole number, not ${value}`
        : `${dataset}.${field} keeps hundredths; ${value} has more decimal places than it can match`,
      field,
    );
  }
}

function checkFilter(dataset: string, type: FieldType, filter: Filter) {
  const where = `${dataset}.${filter.field}`;
  if (type === "string") {
    if (filter.op !== "=" && filter.op !== "!=" && filter.op !== "in") {
      throw new QueryTypeError(`${where} is text (categorical): it takes =, != and in, not ${filter.op}`, filter.field);
    }
    const values = filter.op === "in" ? filter.values : [filter.value];
    const odd = values.find((v) => typeof v === "number" && !Number.isSafeInteger(v));
    if (odd !== undefined) {
      throw new QueryTypeError(`${where} is text; compare it with text such as "${odd}", quoted`, filter.field);
    }
    return;
  }
  const values =
    filter.op === "between" ? [filter.min, filter.max] : filter.op === "in" ? filter.values : [filter.value];
  for (const value of values) {
    if (typeof value !== "number") {
      throw new QueryTypeError(
        `${where} is ${type === "integer" ? "an integer" : "a decimal"}; compare it with a number, not the text ${JSON.stringify(value)}`,
        filter.field,
      );
    }
    checkConstant(dataset, filter.field, type, value);
  }
  if (filter.op === "between" && filter.min > filter.max) {
    throw new QueryTypeError(
      `${where} between ${filter.min} and ${filter.max}: the lower bound comes first`,
      filter.field,
    );
  }
}

/**
 * Checks an aggregate query against the field types the catalogue holds for every dataset taking
 * part, before anything is reserved or any node computes: each filtered and grouped field exists
 * and takes what it is compared with, a group-by is over text, the measured fields are numeric for
 * anything but a count, and bounds and bins can be held by the measured field.
 */
export async function checkQueryTypes(db: DbOrTx, measuredFields: string[], query: AggregateQuery): Promise<void> {
  const ids = [...new Set(measuredFields.map((f) => f.slice(0, f.indexOf("."))))];
  const rows = await db
    .select({ id: datasets.id, fields: datasets.fields })
    .from(datasets)
    .where(inArray(datasets.id, ids));
  for (const qualified of measuredFields) {
    const [datasetId, measured] = qualified.split(".") as [string, string];
    const row = rows.find((r) => r.id === datasetId);
    if (!row) throw new SluiceError("not_found", `dataset ${datasetId} does not exist`);
    const typeOf = (field: string) => {
      const type = row.fields.find((f) => f.name === field)?.type as FieldType | undefined;
      if (!type) throw new QueryTypeError(`dataset ${datasetId} has no field ${field}`, field);
      return type;
    };
    const measuredType = typeOf(measured);
    if (query.aggregate !== "count" && measuredType === "string") {
      throw new QueryTypeError(
        `${qualified} is text; ${query.aggregate} needs an integer or decimal field (count works on any field)`,
        measured,
      );
    }
    for (const filter of query.filters) checkFilter(datasetId, typeOf(filter.field), filter);
    if (query.groupBy && typeOf(query.groupBy.field) !== "string") {
      throw new QueryTypeError(
        `${datasetId}.${query.groupBy.field} is numeric; group by a text (categorical) field, or use a histogram with bins`,
        query.groupBy.field,
      );
    }
    if (measuredType !== "string") {
      for (const value of [...(query.bins ?? []), ...(query.bounds ? [query.bounds.min, query.bounds.max] : [])]) {
        checkConstant(datasetId, measured, measuredType, value);
      }
    }
  }
}
