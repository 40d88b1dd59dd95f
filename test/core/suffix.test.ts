import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseLockOrder } from "../../core/config.js";
import { describeMismatch } from "../../core/messages.js";
import { tokenLabel } from "../../core/policy.js";
import { acquiredOfTokens, compareSuffix, nameWithSuffix, requiredSuffix, suffixOf } from "../../core/suffix.js";

const policy = parseLockOrder(readFileSync(new URL("../../lock-order.json", import.meta.url), "utf8"), "lock-order.json");
const tokensOf = (name: string) => suffixOf(name, policy).tokens.map(tokenLabel);

describe("suffix grammar", () => {
  it("takes the longest run of trailing valid tokens", () => {
    expect(suffixOf("insertService_rsw_mlw", policy)).toMatchObject({ base: "insertService", suffixText: "_rsw_mlw" });
    expect(tokensOf("insertService_rsw_mlw")).toEqual(["rs:w", "ml:w"]);
    expect(tokensOf("get_user_id")).toEqual([]);
    expect(tokensOf("flush_sm_rh")).toEqual(["sm", "rh"]);
    expect(tokensOf("#evict_sbl")).toEqual(["sbl"]);
    expect(tokensOf("sm")).toEqual([]); // a name is never all suffix
    expect(tokensOf("update_ms_mlw")).toEqual(["ml:w"]); // "ms" alone is not a token of an rwlock
  });

  it("never reads a name as all suffix, even after leading underscores", () => {
    for (const name of ["_sm", "__sm", "#_sm", "_"]) {
      expect(tokensOf(name)).toEqual([]);
      expect(suffixOf(name, policy).suffixText).toBe("");
    }
    expect(suffixOf("_flush_sm", policy)).toMatchObject({ base: "_flush", suffixText: "_sm" });
    expect(suffixOf("_sm_rh", policy)).toMatchObject({ base: "_sm", suffixText: "_rh" });
    // The base keeps its first segment, so a rename never produces an empty name.
    expect(nameWithSuffix("_sm", [], policy)).toBe("_sm");
    expect(nameWithSuffix("_sm", suffixOf("x_rh", policy).tokens, policy)).toBe("_sm_rh");
  });

  it("splits any name into a base that keeps a named part and a suffix of valid tokens only", () => {
    const part = fc.constantFrom("", "sm", "rsw", "rsr", "mlw", "rh", "ms", "x", "get", "Sm");
    fc.assert(
      fc.property(fc.boolean(), fc.array(part, { maxLength: 6 }), (hash, parts) => {
        const plain = parts.join("_");
        const { base, tokens, suffixText } = suffixOf(hash ? `#${plain}` : plain, policy);
        expect(base + suffixText).toBe(plain);
        const written = suffixText.split("_").slice(1);
        expect(written.map((text) => policy.tokens.get(text))).toEqual(tokens);
        if (suffixText) expect(base).toMatch(/[^_]/);
        // The longest run: the part before the suffix is no token, or it is the base's only named part.
        const rest = base.split("_");
        if (rest.length > 1 && policy.tokens.has(rest[rest.length - 1])) expect(rest.slice(0, -1).join("")).toBe("");
      }),
    );
  });

  it("computes the required suffix in declared order with the strongest mode", () => {
    const acquired = acquiredOfTokens(suffixOf("x_mlr_rsr_sm_mlw", policy).tokens);
    expect(requiredSuffix(acquired).map(tokenLabel)).toEqual(["rs:r", "ml:w", "sm"]);
    expect(nameWithSuffix("x_mlr", requiredSuffix(acquired), policy)).toBe("x_rsr_mlw_sm");
    expect(nameWithSuffix("#x", requiredSuffix(acquired), policy)).toBe("#x_rsr_mlw_sm");
  });

  it("describes what is missing, extra, misordered or of the wrong mode", () => {
    const required = suffixOf("x_rsw_mlr", policy).tokens;
    expect(compareSuffix(suffixOf("x_rsw_mlr", policy).tokens, required)).toBeUndefined();
    const mismatch = compareSuffix(suffixOf("x_mlw_sm_rsw", policy).tokens, required)!;
    expect(describeMismatch(mismatch)).toBe("extra sm; ml is written as w but taken as r (no acquisition writes); tokens out of declared order");
    expect(describeMismatch(compareSuffix([], required)!)).toBe("missing rs:w, ml:r");
  });
});
