CREATE TABLE "console_challenges" (
	"digest" text PRIMARY KEY NOT NULL,
	"address" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "console_sessions" (
	"digest" text PRIMARY KEY NOT NULL,
	"participant_id" text NOT NULL,
	"public_key" text NOT NULL,
	"csrf_token" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "job_slots" (
	"id" text PRIMARY KEY NOT NULL,
	"operator_id" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "leases" (
	"name" text PRIMARY KEY NOT NULL,
	"holder" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"acquired_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "open_psi_jobs" (
	"job_id" text PRIMARY KEY NOT NULL,
	"operator_id" text NOT NULL,
	"state" jsonb NOT NULL,
	"answered" boolean DEFAULT false NOT NULL,
	"released" boolean DEFAULT false NOT NULL,
	"busy_until" timestamp with time zone,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE UNLOGGED TABLE "rate_limits" (
	"key" text PRIMARY KEY NOT NULL,
	"points" integer NOT NULL,
	"expire" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "jobs" ADD COLUMN "replica_id" text;--> statement-breakpoint
ALTER TABLE "open_psi_jobs" ADD CONSTRAINT "open_psi_jobs_job_id_jobs_id_fk" FOREIGN KEY ("job_id") REFERENCES "public"."jobs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "console_challenges_address_idx" ON "console_challenges" USING btree ("address","expires_at");--> statement-breakpoint
CREATE INDEX "console_challenges_expiry_idx" ON "console_challenges" USING btree ("expires_at");--> statement-breakpoint
CREATE INDEX "console_sessions_expiry_idx" ON "console_sessions" USING btree ("expires_at");--> statement-breakpoint
CREATE INDEX "job_slots_operator_idx" ON "job_slots" USING btree ("operator_id","expires_at");--> statement-breakpoint
CREATE INDEX "open_psi_jobs_expiry_idx" ON "open_psi_jobs" USING btree ("expires_at");