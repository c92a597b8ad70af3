-- Accounts cleanup (issue 3): indexes for the periodic DELETEs of the
-- accounts.cleanup job (accounts/cleanup.c). MFA secrets become
-- "v1:" sealed strings in the same TEXT column (accounts/mfa_secret.c
-- re-encrypts old rows at start-up), so no column changes.
CREATE INDEX refresh_tokens_expires ON refresh_tokens (expires_at);
CREATE INDEX one_time_tokens_expires ON one_time_tokens (expires_at);
CREATE INDEX phone_codes_expires ON phone_codes (expires_at);
CREATE INDEX login_attempts_updated ON login_attempts (updated_at);
