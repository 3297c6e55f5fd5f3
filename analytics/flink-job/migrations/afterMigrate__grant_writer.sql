-- A Flyway callback, run after every migrate: the job's database identity (a Cloud SQL IAM service-account user in
-- the cloud, a password role in the tests) writes the windows. Granting a role twice changes nothing, so a new
-- identity (a new cluster's service account) is granted on the next start without a new migration.
GRANT analytics_writer TO "${writer_user}";
