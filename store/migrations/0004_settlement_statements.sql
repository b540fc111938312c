CREATE TABLE "settlement_statements" (
	"id" text PRIMARY KEY NOT NULL,
	"period_start" timestamp with time zone NOT NULL,
	"period_end" timestamp with time zone NOT NULL,
	"record_count" integer NOT NULL,
	"fee_total_fen" bigint NOT NULL,
	"statement" jsonb NOT NULL,
	"root" text NOT NULL,
	"records_hash" text NOT NULL,
	"tx_hash" text,
	"anchored_at" timestamp with time zone,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
