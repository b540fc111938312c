import { afterEach } from "vitest";
import { ScratchDir } from "../../compute/psi/spill.js";

/** A test file's scratch directories: `scratch()` makes one, and each is removed after its test. */
export function scratchDirs() {
  const dirs: ScratchDir[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) dir.remove();
  });
  return {
    scratch: () => {
      const dir = new ScratchDir();
      dirs.push(dir);
      return dir;
    },
    /** Removes the newest one now (a loop that makes many). */
    removeLast: () => dirs.pop()?.remove(),
  };
}
