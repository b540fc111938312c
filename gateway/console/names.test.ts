import { describe, expect, it } from "vitest";
import { COMPUTE_MODES, QUERY_SHAPES } from "../../lib/vocabulary.js";
import { failureInWords } from "./job-failure.js";
import { levelMeaning, levelName, nameOf, regionName } from "./names.js";

describe("names for the codes the platform stores", () => {
  it("names regions from the shipped GB/T 2260 table, at every level, in both languages", () => {
    expect(regionName("zh", "330100")).toBe("杭州市");
    expect(regionName("en", "330100")).toBe("Hangzhou");
    expect(regionName("zh", "330000")).toBe("浙江省");
    expect(regionName("zh", "330106")).toBe("杭州市西湖区");
    expect(regionName("en", "330106")).toBe("Xihu District, Hangzhou");
    // A municipality's districts are named under the municipality, not under "市辖区".
    expect(regionName("zh", "110101")).toBe("北京市东城区");
    expect(regionName("en", "610100")).toBe("Xi'an");
    // An autonomous division by its place and the peoples it is named for.
    expect(regionName("en", "522600")).toBe("Qiandongnan Miao-Dong Autonomous Prefecture");
    // A code the table does not hold is shown as it is.
    expect(regionName("zh", "999999")).toBe("999999");
  });

  it("names levels as the classification rules in force do, with what may leave", () => {
    expect(levelName("zh", 3)).toBe("重要数据");
    expect(levelName("en", 2)).toBe("general data, grade 2 (restricted)");
    expect(levelMeaning("en", 2)).toBe(
      "only as aggregates of at least k rows, with differential-privacy noise (k ≥ 10)",
    );
    expect(levelMeaning("zh", 4)).toBe("不得用于授权运营");
    expect(levelName("en", 9)).toBe("level 9");
  });

  it("names every compute mode and query shape in both languages, and leaves an unknown sector as it is", () => {
    for (const mode of COMPUTE_MODES) {
      expect(nameOf("zh", "mode", mode)).not.toBe(mode);
      expect(nameOf("en", "mode", mode)).not.toBe(mode);
    }
    for (const shape of QUERY_SHAPES) expect(nameOf("zh", "shape", shape)).not.toBe(shape);
    expect(nameOf("en", "shape", "psi-size")).toBe("intersection size");
    expect(nameOf("zh", "sector", "tax")).toBe("税务");
    expect(nameOf("zh", "sector", "fisheries")).toBe("fisheries");
  });
});

describe("a failed job's reason in words", () => {
  it("says what went wrong for each kind of reason the gateway stores", () => {
    const cases: [string, string][] = [
      ["node node_social could not be reached", "无法连接"],
      ["node node_tax did not answer in time", "没有在时限内应答"],
      ["the operator did not answer in time", "隐私求交的下一步没有及时提交"],
      ["withheld by owner_tax: the result singles out one enterprise", "扣留"],
      [
        "node node_tax refused the job (403): this node's owner did not approve this plan: field x",
        "超出了该提供方签署批准的条款",
      ],
      ["the partial from node node_tax does not verify", "未通过校验"],
      [
        "dataset ds_tax: tax_paid_fen is NULL for a scored entity, and its owner declared it never NULL",
        "不符合其登记的结构",
      ],
    ];
    for (const [reason, words] of cases) expect(failureInWords("zh", reason), reason).toContain(words);
    expect(failureInWords("en", "node node_social could not be reached")).toContain("could not be reached");
    expect(failureInWords("zh", "something nobody foresaw")).toBeNull();
  });
});
