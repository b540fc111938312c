import type { Language } from "./i18n.js";

/**
 * Why a job failed, in words an operator can act on, from the reason the gateway stored (a node's
 * refusal, a timeout, an owner's review). The stored reason stays beside it, folded, for support.
 */
const FAILURES: { test: RegExp; zh: string; en: string }[] = [
  {
    test: /^withheld by /,
    zh: "数据提供方在结果审核中扣留了结果，理由见下。",
    en: "An owner withheld the result in its review; its reason is below.",
  },
  {
    test: /the operator did not answer/i,
    zh: "隐私求交的下一步没有及时提交，作业已过期。请重新开始。",
    en: "The next step of the intersection was not sent in time, so the job expired. Start it again.",
  },
  {
    test: /did not answer in time|timed? ?out/i,
    zh: "一个数据提供方的计算节点没有在时限内应答，作业已停止。请稍后重试；若一再发生，请联系该数据提供方。",
    en: "An owner's compute node did not answer in time, so the job stopped. Try again later; if it keeps happening, contact that owner.",
  },
  {
    test: /could not be reached|fetch failed|ECONNREFUSED|ECONNRESET|socket hang up/i,
    zh: "一个数据提供方的计算节点无法连接（可能已停止或网络中断），作业已停止。请稍后重试。",
    en: "An owner's compute node could not be reached (it may be stopped, or the network down), so the job stopped. Try again later.",
  },
  {
    test: /did not approve|not approved|outside the terms|owner .* signed/i,
    zh: "数据提供方的节点拒绝了这次计算：它超出了该提供方签署批准的条款。请检查查询的字段、计算方式和参数。",
    en: "An owner's node refused the computation: it is outside the terms that owner signed. Check the query's fields, mode and parameters.",
  },
  {
    test: /budget|ε|epsilon/i,
    zh: "隐私预算（ε）不足以完成这次查询。",
    en: "What is left of the privacy budget (ε) is not enough for this query.",
  },
  {
    test: /quota|scored \d+ times|as many as the owner allows/i,
    zh: "配额已用完：场景的查询次数或每个企业的评分次数已达上限。",
    en: "A quota is used up: the scenario's queries or the scores allowed per enterprise.",
  },
  {
    test: /fewer than|below k|minimum group|min(imum)?GroupSize/i,
    zh: "结果中有分组少于最小分组 k，不予发布。请放宽筛选条件或减少分组。",
    en: "A group of the result has fewer than k rows, so it is not released. Widen the filters or use fewer groups.",
  },
  {
    test: /does not verify|malformed|wrong length/i,
    zh: "一个计算节点的应答未通过校验，结果已丢弃。平台已记录，请联系平台运维。",
    en: "An answer from a compute node failed its checks, so the result was discarded. It is logged; contact the platform's operators.",
  },
  {
    test: /has no field|no numeric column|has no text column|no dataset/i,
    zh: "查询用到的字段或数据集在数据提供方节点上不存在（或已改动）。",
    en: "A field or dataset the query uses does not exist at the owner's node (or has changed).",
  },
  {
    test: /NULL|more than one row|not an exact integer|out of range/i,
    zh: "数据提供方的数据不符合其登记的结构（空值、重复或越界），作业已停止。请联系该数据提供方。",
    en: "The owner's data does not match its registered schema (a NULL, a duplicate or a value out of range), so the job stopped. Contact that owner.",
  },
];

/** The failure in words, or null for a reason the console has no words for (then the reason is shown as it is). */
export function failureInWords(lang: Language, reason: string): string | null {
  return FAILURES.find((f) => f.test.test(reason))?.[lang] ?? null;
}

export function JobFailure({ lang, reason, detailsLabel }: { lang: Language; reason: string; detailsLabel: string }) {
  const words = failureInWords(lang, reason);
  if (!words) return <span class="failure">{reason}</span>;
  return (
    <div class="failure">
      <p>{words}</p>
      <details>
        <summary>{detailsLabel}</summary>
        <code class="reason">{reason}</code>
      </details>
    </div>
  );
}
