/** The most identifiers one side may bring to a PSI job (32 bytes each on the wire). */
export const MAX_PSI_ITEMS = 1_000_000;
