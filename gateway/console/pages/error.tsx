import { Layout, Notice, type PageContext } from "../layout.js";

export function ErrorPage({
  page,
  message,
  title,
  more = [],
}: {
  page: PageContext;
  message: string;
  title?: string;
  more?: string[];
}) {
  return (
    <Layout page={page} title={title ?? page.t("error.title")}>
      <Notice kind="error">{message}</Notice>
      {more.map((line) => (
        <p>{line}</p>
      ))}
      <p>
        <a href="/console">{page.t("error.back")}</a>
      </p>
    </Layout>
  );
}
