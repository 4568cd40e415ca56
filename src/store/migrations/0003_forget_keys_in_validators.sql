-- Validators used to be stored under the full request URL, which for Korea
-- Customs included the service key. They are now stored under the URL
-- without credentials; forget the old rows (the next run simply fetches in
-- full once) so no key stays in the database or its backups.
DELETE FROM http_validators
WHERE url LIKE '%serviceKey=%' OR url LIKE '%subscription-key=%';
