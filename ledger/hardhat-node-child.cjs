// Runs `hardhat node` for the embedded chain and exits when the parent's stdin pipe closes, so a
// crashed or killed parent never leaves an orphan chain behind.
process.stdin.on("close", () => process.exit(0));
process.stdin.resume();
require("hardhat/internal/cli/bootstrap.js");
