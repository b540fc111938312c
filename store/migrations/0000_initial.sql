CREATE TABLE "authorisation_events" (
	"id" text PRIMARY KEY NOT NULL,
	"subject_type" text NOT NULL,
	"subject_id" text NOT NULL,
	"actor_id" text NOT NULL,
	"action" text NOT NULL,
	"reason" text,
	"details" jsonb,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"anchor_tx_hash" text
);
--> statement-breakpoint
CREATE TABLE "auto_approval_rules" (
	"id" text PRIMARY KEY NOT NULL,
	"owner_id" text NOT NULL,
	"operator_ids" jsonb,
	"max_level" integer NOT NULL,
	"compute_modes" jsonb NOT NULL,
	"query_shapes" jsonb NOT NULL,
	"min_group_size" integer NOT NULL,
	"max_epsilon_per_query_micro" bigint NOT NULL,
	"signature" text NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "grants" (
	"id" text PRIMARY KEY NOT NULL,
	"tier" text NOT NULL,
	"grantor_id" text NOT NULL,
	"operator_id" text NOT NULL,
	"regions" jsonb NOT NULL,
	"sectors" jsonb NOT NULL,
	"dataset_ids" jsonb,
	"categories" jsonb,
	"compute_modes" jsonb NOT NULL,
	"max_level" integer NOT NULL,
	"valid_from" timestamp with time zone NOT NULL,
	"valid_until" timestamp with time zone NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "scenario_approvals" (
	"scenario_id" text NOT NULL,
	"owner_id" text NOT NULL,
	"decision" text DEFAULT 'pending' NOT NULL,
	"reason" text,
	"decided_by" text,
	"signature" text,
	"decided_at" timestamp with time zone,
	CONSTRAINT "scenario_approvals_scenario_id_owner_id_pk" PRIMARY KEY("scenario_id","owner_id")
);
--> statement-breakpoint
CREATE TABLE "scenarios" (
	"id" text PRIMARY KEY NOT NULL,
	"operator_id" text NOT NULL,
	"purpose" text NOT NULL,
	"dataset_ids" jsonb NOT NULL,
	"dataset_versions" jsonb NOT NULL,
	"fields" jsonb NOT NULL,
	"compute_modes" jsonb NOT NULL,
	"query_shapes" jsonb NOT NULL,
	"min_group_size" integer NOT NULL,
	"epsilon_per_query_micro" bigint NOT NULL,
	"epsilon_budget_micro" bigint NOT NULL,
	"epsilon_spent_micro" bigint DEFAULT 0 NOT NULL,
	"query_quota" integer NOT NULL,
	"queries_used" integer DEFAULT 0 NOT NULL,
	"price_per_query_fen" bigint NOT NULL,
	"platform_share_bp" integer NOT NULL,
	"owner_share_bp" jsonb,
	"requires_result_review" boolean DEFAULT false NOT NULL,
	"valid_from" timestamp with time zone NOT NULL,
	"valid_until" timestamp with time zone NOT NULL,
	"status" text DEFAULT 'proposed' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "compute_nodes" (
	"id" text PRIMARY KEY NOT NULL,
	"owner_id" text NOT NULL,
	"url" text NOT NULL,
	"public_key" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "compute_nodes_public_key_unique" UNIQUE("public_key")
);
--> statement-breakpoint
CREATE TABLE "dataset_versions" (
	"dataset_id" text NOT NULL,
	"version" integer NOT NULL,
	"content" jsonb NOT NULL,
	"content_hash" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "dataset_versions_dataset_id_version_pk" PRIMARY KEY("dataset_id","version")
);
--> statement-breakpoint
CREATE TABLE "datasets" (
	"id" text PRIMARY KEY NOT NULL,
	"owner_id" text NOT NULL,
	"node_id" text NOT NULL,
	"name" text NOT NULL,
	"sector" text NOT NULL,
	"category" text NOT NULL,
	"region" text NOT NULL,
	"key_field" text NOT NULL,
	"fields" jsonb NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"content_hash" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "contract_deployments" (
	"chain_id" integer NOT NULL,
	"name" text NOT NULL,
	"address" text NOT NULL,
	"tx_hash" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "contract_deployments_chain_id_name_pk" PRIMARY KEY("chain_id","name")
);
--> statement-breakpoint
CREATE TABLE "anchor_batches" (
	"id" text PRIMARY KEY NOT NULL,
	"root" text NOT NULL,
	"record_count" integer NOT NULL,
	"fee_total_fen" bigint NOT NULL,
	"period_start" timestamp with time zone NOT NULL,
	"period_end" timestamp with time zone NOT NULL,
	"status" text NOT NULL,
	"tx_hash" text,
	"block_number" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"anchored_at" timestamp with time zone,
	CONSTRAINT "anchor_batches_root_unique" UNIQUE("root")
);
--> statement-breakpoint
CREATE TABLE "decisions" (
	"hash" text PRIMARY KEY NOT NULL,
	"request" jsonb NOT NULL,
	"state" jsonb NOT NULL,
	"decision" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "job_reviews" (
	"job_id" text NOT NULL,
	"owner_id" text NOT NULL,
	"decision" text DEFAULT 'pending' NOT NULL,
	"reason" text,
	"decided_at" timestamp with time zone,
	CONSTRAINT "job_reviews_job_id_owner_id_pk" PRIMARY KEY("job_id","owner_id")
);
--> statement-breakpoint
CREATE TABLE "jobs" (
	"id" text PRIMARY KEY NOT NULL,
	"scenario_id" text NOT NULL,
	"operator_id" text NOT NULL,
	"query" jsonb NOT NULL,
	"status" text DEFAULT 'running' NOT NULL,
	"result" jsonb,
	"error" text,
	"decision_hash" text NOT NULL,
	"epsilon_micro" bigint DEFAULT 0 NOT NULL,
	"request_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "usage_records" (
	"id" text PRIMARY KEY NOT NULL,
	"job_id" text NOT NULL,
	"record" jsonb NOT NULL,
	"record_hash" text NOT NULL,
	"gateway_signature" text NOT NULL,
	"fee_fen" bigint NOT NULL,
	"batch_id" text,
	"leaf_index" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "usage_records_job_id_unique" UNIQUE("job_id")
);
--> statement-breakpoint
CREATE TABLE "participant_keys" (
	"public_key" text PRIMARY KEY NOT NULL,
	"participant_id" text NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"retired_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "participants" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"role" text NOT NULL,
	"public_key" text NOT NULL,
	"sector" text,
	"status" text DEFAULT 'active' NOT NULL,
	"admitted_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "participants_public_key_unique" UNIQUE("public_key")
);
--> statement-breakpoint
CREATE TABLE "request_nonces" (
	"key_id" text NOT NULL,
	"nonce" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	CONSTRAINT "request_nonces_key_id_nonce_pk" PRIMARY KEY("key_id","nonce")
);
--> statement-breakpoint
ALTER TABLE "auto_approval_rules" ADD CONSTRAINT "auto_approval_rules_owner_id_participants_id_fk" FOREIGN KEY ("owner_id") REFERENCES "public"."participants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "grants" ADD CONSTRAINT "grants_grantor_id_participants_id_fk" FOREIGN KEY ("grantor_id") REFERENCES "public"."participants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "grants" ADD CONSTRAINT "grants_operator_id_participants_id_fk" FOREIGN KEY ("operator_id") REFERENCES "public"."participants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "scenario_approvals" ADD CONSTRAINT "scenario_approvals_scenario_id_scenarios_id_fk" FOREIGN KEY ("scenario_id") REFERENCES "public"."scenarios"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "scenario_approvals" ADD CONSTRAINT "scenario_approvals_owner_id_participants_id_fk" FOREIGN KEY ("owner_id") REFERENCES "public"."participants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "scenarios" ADD CONSTRAINT "scenarios_operator_id_participants_id_fk" FOREIGN KEY ("operator_id") REFERENCES "public"."participants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "compute_nodes" ADD CONSTRAINT "compute_nodes_owner_id_participants_id_fk" FOREIGN KEY ("owner_id") REFERENCES "public"."participants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "dataset_versions" ADD CONSTRAINT "dataset_versions_dataset_id_datasets_id_fk" FOREIGN KEY ("dataset_id") REFERENCES "public"."datasets"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "datasets" ADD CONSTRAINT "datasets_owner_id_participants_id_fk" FOREIGN KEY ("owner_id") REFERENCES "public"."participants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "datasets" ADD CONSTRAINT "datasets_node_id_compute_nodes_id_fk" FOREIGN KEY ("node_id") REFERENCES "public"."compute_nodes"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "job_reviews" ADD CONSTRAINT "job_reviews_job_id_jobs_id_fk" FOREIGN KEY ("job_id") REFERENCES "public"."jobs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "job_reviews" ADD CONSTRAINT "job_reviews_owner_id_participants_id_fk" FOREIGN KEY ("owner_id") REFERENCES "public"."participants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_scenario_id_scenarios_id_fk" FOREIGN KEY ("scenario_id") REFERENCES "public"."scenarios"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_operator_id_participants_id_fk" FOREIGN KEY ("operator_id") REFERENCES "public"."participants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_decision_hash_decisions_hash_fk" FOREIGN KEY ("decision_hash") REFERENCES "public"."decisions"("hash") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "usage_records" ADD CONSTRAINT "usage_records_job_id_jobs_id_fk" FOREIGN KEY ("job_id") REFERENCES "public"."jobs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "usage_records" ADD CONSTRAINT "usage_records_batch_id_anchor_batches_id_fk" FOREIGN KEY ("batch_id") REFERENCES "public"."anchor_batches"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "participant_keys" ADD CONSTRAINT "participant_keys_participant_id_participants_id_fk" FOREIGN KEY ("participant_id") REFERENCES "public"."participants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "authorisation_events_subject_idx" ON "authorisation_events" USING btree ("subject_type","subject_id");--> statement-breakpoint
CREATE INDEX "grants_operator_idx" ON "grants" USING btree ("operator_id");--> statement-breakpoint
CREATE INDEX "scenario_approvals_owner_idx" ON "scenario_approvals" USING btree ("owner_id");--> statement-breakpoint
CREATE INDEX "scenarios_operator_idx" ON "scenarios" USING btree ("operator_id");--> statement-breakpoint
CREATE INDEX "usage_records_batch_idx" ON "usage_records" USING btree ("batch_id");--> statement-breakpoint
CREATE INDEX "participant_keys_participant_idx" ON "participant_keys" USING btree ("participant_id");--> statement-breakpoint
CREATE INDEX "participants_role_idx" ON "participants" USING btree ("role");--> statement-breakpoint
CREATE INDEX "request_nonces_expiry_idx" ON "request_nonces" USING btree ("expires_at");