#!/usr/bin/env bash
# postern init: a starter configuration that config check accepts, for each
# provider type; bad arguments get exit 2 and a message naming them.
source "$SOURCE_DIR/tests/integration/lib.sh"

export CLOUDFLARE_API_TOKEN=t AWS_ACCESS_KEY_ID=a AWS_SECRET_ACCESS_KEY=s \
    AZURE_TENANT_ID=t AZURE_CLIENT_ID=c AZURE_SUBSCRIPTION_ID=s \
    AZURE_RESOURCE_GROUP=g DIGITALOCEAN_TOKEN=d GANDI_PAT=g
echo secret >"$T/secret"

for p in rfc2136 powerdns manual cloudflare route53 azure digitalocean gandi; do
	"$POSTERN" init --domain example.com --domain example.org \
	    --ip 50.60.70.80 --ip 2001:db8::25 --provider "$p" \
	    -o "$T/$p.yaml" 2>"$T/$p.err"
	expect_eq "init --provider $p exits 0" "$?" 0
	# Secret files named in the starter config are made by the operator.
	sed -i "s#/etc/postern/[a-z]*\.[a-z]*#$T/secret#" "$T/$p.yaml"
	out=$("$POSTERN" config check -c "$T/$p.yaml" 2>&1)
	expect_eq "config check accepts the $p starter" "$out" \
	    "$T/$p.yaml: ok: 2 domains, 3 listeners, 1 user, 1 provider"
done

# The password shown once matches the hash in the file.
pw=$(sed -n 's/.*with password \([A-Za-z0-9]*\)$/\1/p' "$T/manual.err")
hash=$(sed -n 's/.*password_hash: "\([^"]*\)".*/\1/p' "$T/manual.yaml")
expect_match "a yescrypt hash is written" "$hash" '^\$y\$'
ok=$(/usr/bin/python3 -W ignore -c 'import crypt,sys; print(crypt.crypt(sys.argv[1], sys.argv[2]) == sys.argv[2])' "$pw" "$hash")
expect_eq "the printed password matches the hash" "$ok" True
expect_match "Exchange Online route for each domain" \
    "$(cat "$T/manual.yaml")" 'via: "example-org.mail.protection.outlook.com"'
expect_match "relay hostname defaults to relay.DOMAIN" \
    "$(cat "$T/manual.yaml")" 'hostname: relay.example.com'

# Never replaces a file without --force.
out=$("$POSTERN" init --domain example.com --ip 50.60.70.80 \
    --provider manual -o "$T/manual.yaml" 2>&1)
expect_eq "init refuses to overwrite (exit)" "$?" 2
expect_eq "init refuses to overwrite (message)" "$out" \
    "postern init: $T/manual.yaml: File exists (use --force to replace it)"
"$POSTERN" init --domain example.com --ip 50.60.70.80 --provider manual \
    -o "$T/manual.yaml" --force 2>/dev/null
expect_eq "init --force replaces" "$?" 0

bad() {
	local want=$1
	shift
	out=$("$POSTERN" init "$@" 2>&1 >/dev/null)
	rc=$?
	expect_eq "init $* exits 2" "$rc" 2
	expect_eq "init $* says why" "$out" "$want"
}
bad 'postern init: --domain: expected a domain such as example.com, got "exa mple.com"' \
    --domain "exa mple.com" --ip 50.60.70.80 --provider manual
bad 'postern init: --ip: expected an IPv4 or IPv6 address, got "50.60.70"' \
    --domain example.com --ip 50.60.70 --provider manual
bad 'postern init: --provider: expected one of rfc2136, powerdns, manual, cloudflare, route53, azure, digitalocean, gandi, got "bind"' \
    --domain example.com --ip 50.60.70.80 --provider bind
bad 'postern init: --domain, --ip and --provider are required' \
    --domain example.com --provider manual
finish
