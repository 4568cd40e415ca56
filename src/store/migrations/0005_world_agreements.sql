-- Every agreement the WTO lists (issue 14): what the WTO's RTA-IS says about
-- an agreement beyond its dates, and events that concern goods or services
-- alone.
--
-- wto_rta_id is NULL for an agreement the WTO does not list (RCEP, talks
-- never notified); the other WTO columns are empty then. A refresh of the
-- WTO source may add agreements of its own (origin 'wto'), which it
-- replaces whole on its next run.
ALTER TABLE agreements ADD COLUMN wto_rta_id INTEGER;
-- The WTO's types, space-separated: 'FTA EIA'.
ALTER TABLE agreements ADD COLUMN wto_types TEXT NOT NULL DEFAULT '';
-- '', 'goods', 'services' or 'goods_and_services'.
ALTER TABLE agreements ADD COLUMN coverage TEXT NOT NULL DEFAULT '';
ALTER TABLE agreements ADD COLUMN composition TEXT NOT NULL DEFAULT '';
-- The WTO's regions, separated by '; ' as the WTO writes them.
ALTER TABLE agreements ADD COLUMN regions TEXT NOT NULL DEFAULT '';
-- For an accession, the RTA-IS id of the agreement it joins.
ALTER TABLE agreements ADD COLUMN accession_to INTEGER;
ALTER TABLE agreements ADD COLUMN wto_status TEXT NOT NULL DEFAULT '';
CREATE INDEX agreements_wto_rta_id ON agreements (wto_rta_id);
CREATE INDEX agreements_origin ON agreements (origin);

-- '' for the whole agreement, 'goods' or 'services' when the WTO dates them apart.
ALTER TABLE agreement_events ADD COLUMN scope TEXT NOT NULL DEFAULT '';
