import { readFileSync } from "node:fs";

export interface AssetFile {
  file: string;
  /** Its Content-Type. */
  type: string;
}

/** Serves only the files named, each read from disk once: the body and type of a name, or undefined. */
export function createAssetFiles(files: Record<string, AssetFile>) {
  const loaded = new Map<string, string>();
  return (name: string): { body: string; type: string } | undefined => {
    const asset = Object.hasOwn(files, name) ? files[name] : undefined;
    if (!asset) return undefined;
    let body = loaded.get(name);
    if (body === undefined) {
      body = readFileSync(asset.file, "utf8");
      loaded.set(name, body);
    }
    return { body, type: asset.type };
  };
}
