import { describe, expect, it } from "vitest";
import { decide, decisionHash } from "./decide.js";
import { replayDecision } from "./replay.js";
import { request, state } from "./test-fixtures.js";

describe("replaying a recorded decision", () => {
  const s = state();
  const decision = decide(request, s);
  const hash = decisionHash(request, s, decision);
  const copy = <T>(v: T): T => JSON.parse(JSON.stringify(v));

  it("verifies an untouched record: same hash, published rules, same decision", () => {
    const replay = replayDecision(copy({ request, state: s, decision }), hash);
    expect(replay).toMatchObject({ hashMatches: true, rulesPublished: true, decisionReproduced: true, verified: true });
  });

  it("catches a stored decision edited after the fact", () => {
    const stored = copy({ request, state: s, decision });
    if (stored.decision.effect === "allow") stored.decision.obligations.priceFen = 1;
    expect(replayDecision(stored, hash)).toMatchObject({
      hashMatches: false,
      decisionReproduced: false,
      verified: false,
    });
  });

  it("catches stored inputs edited to fit a different decision", () => {
    const stored = copy({ request, state: s, decision });
    stored.state.scenario!.queriesUsed = 100;
    expect(replayDecision(stored, hash)).toMatchObject({
      hashMatches: false,
      decisionReproduced: false,
      verified: false,
    });
  });

  it("catches rules that are not the published version", () => {
    const doctored = copy(s);
    // A fingerprint of rules edited without a new published version.
    doctored.rules = doctored.rules.replace(/#[0-9a-f]+$/, "#0123456789abcdef");
    const d = decide(request, doctored);
    const replay = replayDecision({ request, state: doctored, decision: d }, decisionHash(request, doctored, d));
    expect(replay).toMatchObject({ hashMatches: true, rulesPublished: false, verified: false });
  });
});
