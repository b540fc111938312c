-- Custom SQL migration file, put your code below! --
-- Settlement covers every usage record of a period, so two statements' periods must never overlap:
-- enforced by the database, so that concurrent settlements of one period cannot both commit.
ALTER TABLE "settlement_statements" ADD CONSTRAINT "settlement_statements_periods_disjoint"
  EXCLUDE USING gist (tstzrange("period_start", "period_end", '[)') WITH &&);
