import { Layout, Notice, type PageContext } from "../layout.js";

export function ErrorPage({ page, message }: { page: PageContext; message: string }) {
  return (
    <Layout page={page} title={page.t("error.title")}>
      <Notice kind="error">{message}</Notice>
      <p>
        <a href="/console">{page.t("error.back")}</a>
      </p>
    </Layout>
  );
}
