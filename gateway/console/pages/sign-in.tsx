import { FilePicker, Layout, Notice, type PageContext } from "../layout.js";

/** The sign-in page: the key file is read and the challenge signed in the browser (console.js). */
export function SignInPage({ page, challenge, error }: { page: PageContext; challenge: string; error?: string }) {
  const { t } = page;
  return (
    <Layout page={page} title={t("signIn.title")}>
      {error ? (
        <Notice kind="error">
          {t("signIn.failed")}: {error}
        </Notice>
      ) : null}
      <p>{t("signIn.intro")}</p>
      <form
        id="sign-in"
        method="post"
        action="/console/sign-in"
        data-sign-in=""
        data-msg-no-file={t("key.noFile")}
        data-msg-bad-file={t("key.badFile")}
      >
        <input type="hidden" name="challenge" value={challenge} />
        <input type="hidden" name="participantId" value="" />
        <input type="hidden" name="signature" value="" />
        <p>
          <label for="key-file">{t("signIn.keyFile")}</label>
          <FilePicker page={page} id="key-file" accept="application/json,.json" />
        </p>
        <p>
          <button type="submit" class="primary">
            {t("signIn.submit")}
          </button>
        </p>
        <noscript>
          <p>{t("signIn.needsScript")}</p>
        </noscript>
        <output id="sign-in-status" aria-live="polite" />
      </form>
    </Layout>
  );
}
