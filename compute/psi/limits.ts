/** The most identifiers one side may bring to a PSI job: sets travel in chunks and are compared on disk. */
export const MAX_PSI_ITEMS = 16_777_216;

/** Points a chunk carries (512 KiB of them): pages of the owner's set, and the operator's uploads. */
export const PSI_CHUNK_ITEMS = 16_384;

/** The most chunks one side's set takes. */
export const MAX_PSI_CHUNKS = Math.ceil(MAX_PSI_ITEMS / PSI_CHUNK_ITEMS);
