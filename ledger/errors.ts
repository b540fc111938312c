import { SluiceError } from "../lib/errors.js";

/** The chain or the ledger's own records could not do what was asked. */
export class LedgerError extends SluiceError {}
