CREATE TABLE "he_keys" (
	"id" text PRIMARY KEY NOT NULL,
	"operator_id" text NOT NULL,
	"param_set" text NOT NULL,
	"public_key" text NOT NULL,
	"relin_keys" text,
	"galois_keys" text,
	"fingerprint" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "he_keys_fingerprint_unique" UNIQUE("fingerprint")
);
--> statement-breakpoint
ALTER TABLE "he_keys" ADD CONSTRAINT "he_keys_operator_id_participants_id_fk" FOREIGN KEY ("operator_id") REFERENCES "public"."participants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "he_keys_operator_idx" ON "he_keys" USING btree ("operator_id");