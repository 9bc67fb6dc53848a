-- wrk script: POST a ticket issue with the desk token from $ANTRE_TOKEN.
wrk.method = "POST"
wrk.body = '{"service":"dose1"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. (os.getenv("ANTRE_TOKEN") or "")
