#!/usr/bin/env bash
# postern keys generate | list | record: files, modes, records that verify
# signatures made with the key (dkimpy as the independent verifier).
source "$SOURCE_DIR/tests/integration/lib.sh"

S=$T/state
cat >"$T/postern.yaml" <<YAML
state_dir: $S
relay:
  hostname: relay.example.com
  public_ips: [127.0.0.1]
  listen:
    - { address: "127.0.0.1:2525", tls: none, auth: none }
domains:
  - name: example.com
    provider: hand
    dkim:
      - { selector: pst1, algorithm: rsa-2048 }
      - { selector: pst1e, algorithm: ed25519 }
  - name: example.org
    provider: hand
    dkim:
      - { selector: big, algorithm: rsa-3072 }
providers:
  hand: { type: manual }
YAML
C=(-c "$T/postern.yaml")
K=$S/keys/example.com

out=$("$POSTERN" keys list "${C[@]}")
expect_eq "list before generate" "$out" "example.com pst1 rsa-2048 2048 $K/pst1.key missing
example.com pst1e ed25519 256 $K/pst1e.key missing
example.org big rsa-3072 3072 $S/keys/example.org/big.key missing"

out=$("$POSTERN" keys generate "${C[@]}")
expect_eq "generate prints what it made" "$out" "generated example.com pst1 rsa-2048 $K/pst1.key
generated example.com pst1e ed25519 $K/pst1e.key
generated example.org big rsa-3072 $S/keys/example.org/big.key"
expect_eq "key mode" "$(stat -c %a "$K/pst1.key" "$K/pst1e.key")" "600
600"
expect_eq "key directory mode" "$(stat -c %a "$K" "$S/keys")" "700
700"
expect_match "PKCS#8 written" "$(head -1 "$K/pst1.key")" '^-----BEGIN PRIVATE KEY-----$'
expect_match "public part beside it" "$(head -1 "$K/pst1.pub")" '^-----BEGIN PUBLIC KEY-----$'
expect_eq "ed25519 key type" \
    "$(openssl pkey -in "$K/pst1e.key" -noout -text | head -1)" \
    "ED25519 Private-Key:"

sums=$(sha256sum "$K"/* "$S"/keys/example.org/*)
out=$("$POSTERN" keys generate "${C[@]}")
expect_eq "second generate makes nothing" "$out" ""
expect_eq "existing keys untouched" "$(sha256sum "$K"/* "$S"/keys/example.org/*)" "$sums"

out=$("$POSTERN" keys list "${C[@]}")
expect_eq "list after generate" "$out" "example.com pst1 rsa-2048 2048 $K/pst1.key present
example.com pst1e ed25519 256 $K/pst1e.key present
example.org big rsa-3072 3072 $S/keys/example.org/big.key present"

# The RSA record's p= is the SubjectPublicKeyInfo of the .pub file.
rsa=$("$POSTERN" keys record "${C[@]}" --domain example.com --selector pst1)
expect_eq "rsa record" "$rsa" "v=DKIM1; k=rsa; p=$(sed '1d;$d' "$K/pst1.pub" | tr -d '\n')"
# The Ed25519 record's p= is the raw 32-byte key (RFC 8463).
ed=$("$POSTERN" keys record "${C[@]}" --domain example.com --selector pst1e)
raw=$(openssl pkey -pubin -in "$K/pst1e.pub" -outform DER | tail -c 32 | base64)
expect_eq "ed25519 record" "$ed" "v=DKIM1; k=ed25519; p=$raw"

# --zone: a zone-file line with strings of at most 255 octets that
# concatenate to the record.
big=$("$POSTERN" keys record "${C[@]}" --domain example.org --selector big)
zone=$("$POSTERN" keys record "${C[@]}" --domain example.org --selector big --zone)
expect_match "zone line" "$zone" '^big\._domainkey\.example\.org\. 3600 IN TXT "v=DKIM1; k=rsa; p=[^"]{1,237}" "[^"]{255}" "[^"]+"$'
joined=$(printf '%s' "$zone" | sed 's/^[^"]*"//; s/"$//; s/" "//g')
expect_eq "zone strings join to the record" "$joined" "$big"
expect_eq "short zone line" \
    "$("$POSTERN" keys record "${C[@]}" --domain example.com --selector pst1e --zone)" \
    "pst1e._domainkey.example.com. 3600 IN TXT \"$ed\""

# Signatures made with the keys verify against the published records.
sign_verify() { # SELECTOR RECORD ALG KEYFILE
	/usr/bin/python3 - "$@" <<'PY'
import base64, subprocess, sys, dkim
sel, rec, alg, keyfile = sys.argv[1:5]
if alg == "ed25519-sha256":
    der = subprocess.run(["openssl", "pkey", "-in", keyfile, "-outform", "DER"],
                         capture_output=True, check=True).stdout
    key = base64.b64encode(der[-32:])
else:
    key = open(keyfile, "rb").read()
msg = (b"From: a@example.com\r\nTo: b@example.net\r\nSubject: hi\r\n\r\n"
       b"body\r\n")
sig = dkim.sign(msg, sel.encode(), b"example.com", key,
                signature_algorithm=alg.encode())
ok = dkim.verify(sig + msg, dnsfunc=lambda name, timeout=5: rec.encode())
print("verified" if ok else "failed")
PY
}
expect_eq "rsa signature verifies" \
    "$(sign_verify pst1 "$rsa" rsa-sha256 "$K/pst1.key")" verified
expect_eq "ed25519 signature verifies" \
    "$(sign_verify pst1e "$ed" ed25519-sha256 "$K/pst1e.key")" verified
expect_eq "wrong record fails (the check can fail)" \
    "$(sign_verify pst1 "$big" rsa-sha256 "$K/pst1.key")" failed

# A PKCS#1 key put in place by hand is read.
mkdir -p "$S/keys/example.net"
openssl genrsa -traditional -out "$S/keys/example.net/old.key" 2048 2>/dev/null
chmod 600 "$S/keys/example.net/old.key"
expect_match "pkcs1 header" "$(head -1 "$S/keys/example.net/old.key")" 'BEGIN RSA PRIVATE KEY'
out=$("$POSTERN" keys record "${C[@]}" --domain example.net --selector old)
expect_eq "pkcs1 record" "$out" \
    "v=DKIM1; k=rsa; p=$(openssl pkey -in "$S/keys/example.net/old.key" -pubout | sed '1d;$d' | tr -d '\n')"

# Bad input.
chmod 644 "$K/pst1.key"
rc=0; err=$("$POSTERN" keys record "${C[@]}" --domain example.com --selector pst1 2>&1) || rc=$?
expect_eq "loose key refused: exit" "$rc" 2
expect_eq "loose key refused: message" "$err" \
    "postern keys record: $K/pst1.key: mode 0644 is too open: a DKIM private key must be readable by its owner only (chmod 600 $K/pst1.key) (\`postern keys generate\` makes the keys named in $T/postern.yaml)"
out=$("$POSTERN" keys list "${C[@]}" 2>"$T/err")
expect_match "list shows the loose key unusable" "$out" "pst1 rsa-2048 2048 $K/pst1.key unusable"
expect_match "list says why" "$(cat "$T/err")" "mode 0644 is too open"
chmod 600 "$K/pst1.key"

rc=0; err=$("$POSTERN" keys record "${C[@]}" --domain example.com --selector nope 2>&1) || rc=$?
expect_eq "missing key: exit" "$rc" 2
expect_match "missing key: message" "$err" "^postern keys record: $K/nope.key: No such file or directory"
rc=0; err=$("$POSTERN" keys record "${C[@]}" --domain example.com 2>&1) || rc=$?
expect_eq "record without selector" "$rc:$err" "2:postern keys record: --domain D and --selector S are required"
rc=0; err=$("$POSTERN" keys record "${C[@]}" --domain ../etc --selector x 2>&1) || rc=$?
expect_match "path traversal refused" "$rc:$err" '^2:postern keys record: domain "../etc" selector "x": not usable in a file name'
rc=0; err=$("$POSTERN" keys frobnicate 2>&1) || rc=$?
expect_eq "unknown sub-command" "$rc:$err" \
    "2:postern keys: unknown sub-command \"frobnicate\" (expected generate, list, record or rotate)"
rc=0; err=$("$POSTERN" keys list "${C[@]}" --zone 2>&1) || rc=$?
expect_eq "list takes no --zone" "$rc:$err" "2:postern keys: list takes no --domain, --selector or --zone"
rc=0; err=$("$POSTERN" keys rotate --domain nope.example "${C[@]}" 2>&1) || rc=$?
expect_eq "rotate: an unknown domain" "$rc:$err" "2:postern keys rotate: --domain names no configured domain"
rc=0; err=$("$POSTERN" keys generate -c "$T/nonexistent.yaml" 2>&1) || rc=$?
expect_eq "missing config: exit" "$rc" 2
expect_match "missing config: message" "$err" "nonexistent.yaml"

# A state directory that cannot be written: exit 2 with the path.
cat "$T/postern.yaml" | sed "s|^state_dir: .*|state_dir: /proc/postern-test|" >"$T/ro.yaml"
rc=0; err=$("$POSTERN" keys generate -c "$T/ro.yaml" 2>&1) || rc=$?
expect_eq "unwritable state_dir: exit" "$rc" 2
expect_match "unwritable state_dir: message" "$err" '^postern keys generate: /proc/postern-test[^ ]*: mkdir: '

finish
