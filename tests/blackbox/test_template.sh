#!/usr/bin/env bash
# The CloudFormation template tools/deploy/inflight.yaml, checked offline
# by tests/deploy/check_template.js against the resource specification of
# the npm package @aws-cdk/cfnspec (pinned in tests/deploy/package.json,
# installed with npm ci on first use): the real template and the README
# walkthrough pass; deliberately broken copies fail, each with a message
# naming the mistake.
source "$(dirname "$0")/lib.sh"
DEPLOY="$HERE/../deploy"
CHECK="$DEPLOY/check_template.js"
EXPECT="$DEPLOY/expected.json"
TPL=tools/deploy/inflight.yaml

if [ ! -d "$DEPLOY/node_modules/@aws-cdk/cfnspec" ] || [ ! -d "$DEPLOY/node_modules/yaml" ]; then
	if ! npm ci --prefix "$DEPLOY" --no-audit --no-fund >"$T/npm.log" 2>&1; then
		not_ok "npm ci --prefix tests/deploy" "$(tail -n 5 "$T/npm.log")"
		finish
		exit 1
	fi
fi

# ---- the real template ----
run node "$CHECK" "$TPL" --expect "$EXPECT" --readme README.md
expect_eq "the template passes every check (spec, references, IAM, README)" "$RC" 0
[ "$RC" -eq 0 ] || echo "$OUT"
expect_contains "  ... against the specification" "$OUT" "checked against the CloudFormation resource specification"
run node "$CHECK" "$TPL"
expect_eq "the template passes the specification checks alone" "$RC" 0

# ---- broken copies ----
# broken NAME WANT JS: a copy of the template with JS applied to it (the
# loaded template is `t`, its Resources `R`), which the checker must refuse
# with WANT in its output. The copies are made, then checked, in one node
# process each (reading the specification once).
NAMES=()
declare -A WANTS
printf '%s\n' 'const fs = require("fs");' \
	'const { loadTemplate } = require(process.argv[2]);' \
	'function m(name, f) { const t = loadTemplate(process.argv[3]); f(t, t.Resources);' \
	'  fs.writeFileSync(`${process.argv[4]}/${name}.json`, JSON.stringify(t, null, 1)); }' >"$T/mutate.js"
broken() {
	NAMES+=("$1")
	WANTS[$1]=$2
	printf 'm("%s", (t, R) => { %s });\n' "$1" "$3" >>"$T/mutate.js"
}

broken unknown-type "unknown resource type AWS::Lambda::LayerVersions" \
	'R.Layer.Type = "AWS::Lambda::LayerVersions";'
broken unknown-property "Runtimes: unknown property of AWS::Lambda::Function" \
	'R.Function.Properties.Runtimes = "provided.al2023";'
broken unknown-nested-property "AllowedFeature: unknown property of AWS::S3ObjectLambda::AccessPoint.ObjectLambdaConfiguration" \
	'const c = R.ObjectLambdaAccessPoint.Properties.ObjectLambdaConfiguration; c.AllowedFeature = c.AllowedFeatures; delete c.AllowedFeatures;'
broken wrong-type-integer 'MemorySize: "lots" is not a Integer' \
	'R.Function.Properties.MemorySize = "lots";'
broken wrong-type-boolean 'CloudWatchMetricsEnabled: "yes" is not a Boolean' \
	'R.ObjectLambdaAccessPoint.Properties.ObjectLambdaConfiguration.CloudWatchMetricsEnabled = "yes";'
broken wrong-type-list-for-string 'Handler: ["bootstrap"] is not a String' \
	'R.Function.Properties.Handler = ["bootstrap"];'
broken wrong-type-scalar-for-list "Layers: Ref gives a single value, the property takes a List of String" \
	'R.Function.Properties.Layers = { Ref: "Layer" };'
broken wrong-type-string-for-object "ObjectLambdaConfiguration: ObjectLambdaConfiguration (a mapping) expected" \
	'R.ObjectLambdaAccessPoint.Properties.ObjectLambdaConfiguration = "GetObject";'
broken wrong-type-list-item "Architectures[0]: {\"a\":1} is not a String" \
	'R.Function.Properties.Architectures = [{ a: 1 }];'
broken missing-required "Role: required property of AWS::Lambda::Function is missing" \
	'delete R.Function.Properties.Role;'
broken missing-required-nested "S3Key: required property of AWS::Lambda::LayerVersion.Content is missing" \
	'delete R.Layer.Properties.Content.S3Key;'
broken dangling-ref "Ref Layr: no such parameter, resource or pseudo parameter" \
	'R.Function.Properties.Layers = [{ Ref: "Layr" }];'
broken dangling-getatt-attribute "Fn::GetAtt Function.Arnn: AWS::Lambda::Function has no attribute Arnn" \
	'R.ObjectLambdaAccessPoint.Properties.ObjectLambdaConfiguration.TransformationConfigurations[0].ContentTransformation.AwsLambda.FunctionArn = { "Fn::GetAtt": ["Function", "Arnn"] };'
broken dangling-getatt-resource "Fn::GetAtt AccesPoint.Arn: no such resource" \
	'R.ObjectLambdaAccessPoint.Properties.ObjectLambdaConfiguration.SupportingAccessPoint = { "Fn::GetAtt": ["AccesPoint", "Arn"] };'
broken dangling-sub-variable 'Ref AccessPointNam: no such parameter' \
	'R.FunctionLogGroup.Properties.LogGroupName = { "Fn::Sub": "/aws/lambda/inflight-${AccessPointNam}" };'
broken dangling-sub-attribute "Fn::GetAtt Function.Arm: AWS::Lambda::Function has no attribute Arm" \
	'R.ConsumerPolicy.Properties.PolicyDocument.Statement[2].Resource[1] = { "Fn::Sub": "${Function.Arm}:*" };'
broken dangling-output "Outputs.S3ObjectLambdaArn.Value.Fn::GetAtt: Fn::GetAtt ObjectLambda.Arn: no such resource" \
	't.Outputs.S3ObjectLambdaArn.Value = { "Fn::GetAtt": ["ObjectLambda", "Arn"] };'
broken undefined-condition 'condition "MakeBucket" is not defined in Conditions' \
	'R.Bucket.Condition = "MakeBucket";'
broken conditional-resource-unguarded "Bucket exists only when CreateBucket holds" \
	'R.AccessPoint.Properties.Bucket = { Ref: "Bucket" };'
broken dangling-depends-on '"FunctionLogGroups" is not a resource' \
	'R.Function.DependsOn = "FunctionLogGroups";'
broken duplicate-feature 'AllowedFeatures: duplicate item "GetObject-Range"' \
	'R.ObjectLambdaAccessPoint.Properties.ObjectLambdaConfiguration.AllowedFeatures.push("GetObject-Range");'
broken default-not-allowed 'Parameters.Architecture.Default: "x86" is not among AllowedValues' \
	't.Parameters.Architecture.Default = "x86";'
broken extra-iam-action "actions beyond the needed ones: s3:ListBucket" \
	'R.FunctionRole.Properties.Policies[0].PolicyDocument.Statement[1].Action.push("s3:ListBucket");'
broken extra-iam-action-other-policy "actions beyond the needed ones: s3:PutObject" \
	'R.Extra = { Type: "AWS::IAM::Policy", Properties: { PolicyName: "x", Roles: [{ Ref: "FunctionRole" }], PolicyDocument: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:PutObject", Resource: "arn:aws:s3:::b/*" }] } } };'
broken missing-iam-action "needed actions missing: logs:PutLogEvents" \
	'R.FunctionRole.Properties.Policies[0].PolicyDocument.Statement[1].Action = ["logs:CreateLogStream"];'
broken wildcard-iam-action 'action "s3-object-lambda:*" is a wildcard' \
	'R.FunctionRole.Properties.Policies[0].PolicyDocument.Statement[0].Action = "s3-object-lambda:*";'
broken wildcard-iam-resource 'logs:CreateLogStream on Resource "*"' \
	'R.FunctionRole.Properties.Policies[0].PolicyDocument.Statement[1].Resource = "*";'
broken managed-policy-on-role "ManagedPolicyArns: managed policies grant actions this check cannot see" \
	'R.FunctionRole.Properties.ManagedPolicyArns = ["arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"];'
broken extra-consumer-action "Resources.ConsumerPolicy: actions beyond the needed ones: s3:PutObject" \
	'R.ConsumerPolicy.Properties.PolicyDocument.Statement[1].Action.push("s3:PutObject");'
broken olap-action-missing 'TransformationConfigurations: actions ["GetObject","HeadObject","ListObjects"]' \
	'R.ObjectLambdaAccessPoint.Properties.ObjectLambdaConfiguration.TransformationConfigurations[0].Actions.pop();'
broken payload-without-policy "FunctionPayload: must name the policy" \
	'R.ObjectLambdaAccessPoint.Properties.ObjectLambdaConfiguration.TransformationConfigurations[0].ContentTransformation.AwsLambda.FunctionPayload = "{}";'
broken policy-outside-layer 'INFLIGHT_POLICY: "/var/task/policies", expected "/opt/inflight/policies" or a path under it' \
	'R.Function.Properties.Environment.Variables.INFLIGHT_POLICY = "/var/task/policies";'
broken ephemeral-storage-fixed "EphemeralStorage.Size: must be the parameter EphemeralStorage" \
	'delete R.Function.Properties.EphemeralStorage;'
broken timeout-over-60 "Timeout: must be at most 60 s" \
	't.Parameters.Timeout.MaxValue = 900;'
# values a deployer gets wrong: a bucket given as a URL or an ARN fails
# after some resources exist; a prefix with a leading / deploys and then
# denies every read
broken bucket-as-url 'Parameters.PackageBucket: takes "s3://my-artifacts-bucket"' \
	'delete t.Parameters.PackageBucket.AllowedPattern;'
broken existing-bucket-as-arn 'Parameters.ExistingBucket: takes "arn:aws:s3:::store-events"' \
	't.Parameters.ExistingBucket.AllowedPattern = "^[^/]*$";'
broken prefix-leading-slash 'Parameters.Prefix: takes "/store_events/"' \
	't.Parameters.Prefix.AllowedPattern = "^[^*?]*$";'
# the policy key: a name any variable could take, the key shown or set
# when empty or put anywhere else, the way of the old AnalyticsKey
broken key-name-any-variable 'PolicyKeyName.AllowedPattern: admits "PATH", which must never be settable' \
	't.Parameters.PolicyKeyName.AllowedPattern = "^[A-Z_][A-Z0-9_]*$";'
broken key-name-lowercase 'PolicyKeyName.AllowedPattern: admits "INFLIGHT_marketing"' \
	't.Parameters.PolicyKeyName.AllowedPattern = "^INFLIGHT_[A-Za-z0-9_]{1,64}$";'
broken key-name-unbounded 'PolicyKeyName.AllowedPattern: admits "INFLIGHT_KKKKKKKKKK' \
	't.Parameters.PolicyKeyName.AllowedPattern = "INFLIGHT_[A-Z0-9_]+";'
broken key-name-no-pattern "PolicyKeyName.AllowedPattern: needed" \
	'delete t.Parameters.PolicyKeyName.AllowedPattern;'
broken key-name-too-narrow 'PolicyKeyName.AllowedPattern: refuses "INFLIGHT_MARKETING_KEY", a name it must admit' \
	't.Parameters.PolicyKeyName.AllowedPattern = "^INFLIGHT_ANALYTICS_KEY$";'
broken key-echoed "PolicyKey.NoEcho: must be true" \
	'delete t.Parameters.PolicyKey.NoEcho;'
broken key-set-when-empty 'INFLIGHT_POLICY_KEY: {"Ref":"PolicyKey"}, expected Fn::If' \
	'R.Function.Properties.Environment.Variables.INFLIGHT_POLICY_KEY = { Ref: "PolicyKey" };'
broken key-name-not-passed "INFLIGHT_POLICY_KEY_NAME: undefined, expected Ref PolicyKeyName" \
	'delete R.Function.Properties.Environment.Variables.INFLIGHT_POLICY_KEY_NAME;'
broken key-in-output "Outputs.Key.Value: uses PolicyKey" \
	't.Outputs.Key = { Value: { Ref: "PolicyKey" } };'
broken key-in-sub "Resources.Function.Properties.Description.Fn::Sub: uses PolicyKey" \
	'R.Function.Properties.Description = { "Fn::Sub": "inflight ${PolicyKey}" };'
broken key-under-fixed-name "Variables.INFLIGHT_ANALYTICS_KEY: not a variable the function is expected to get" \
	'const v = R.Function.Properties.Environment.Variables; v.INFLIGHT_ANALYTICS_KEY = v.INFLIGHT_POLICY_KEY;'
broken environment-path "Variables.PATH: not a variable the function is expected to get" \
	'R.Function.Properties.Environment.Variables.PATH = "/tmp";'

mkdir -p "$T/broken"
if node "$T/mutate.js" "$CHECK" "$TPL" "$T/broken" 2>"$T/mutate.err"; then
	files=()
	for n in "${NAMES[@]}"; do files+=("$T/broken/$n.json"); done
	node "$CHECK" --each --expect "$EXPECT" "${files[@]}" >"$T/broken.out" 2>&1
	for n in "${NAMES[@]}"; do
		# the block: this copy's lines, then its "== FILE exit N" line
		out=$(awk -v end="== $T/broken/$n.json exit " '
			index($0, end) == 1 { printf "%s", buf; print "EXIT " substr($0, length(end) + 1); exit }
			/^== / { buf = ""; next } { buf = buf $0 "\n" }' "$T/broken.out")
		if [[ $out == *"EXIT 1" && $out == *"${WANTS[$n]}"* ]]; then
			ok "refused: $n"
		else
			not_ok "refused: $n" "[$out] lacks [${WANTS[$n]}] or exit 1"
		fi
	done
else
	not_ok "broken copies" "could not be made: $(cat "$T/mutate.err")"
fi

# mistakes in the YAML text itself, short-form tags included
sed 's/!Ref PackageBucket$/!Ref PackageBuckett/' "$TPL" >"$T/typo.yaml"
run node "$CHECK" "$T/typo.yaml"
if [ "$RC" -eq 1 ] && [[ $OUT == *"Ref PackageBuckett: no such parameter"* ]]; then ok "refused: a dangling !Ref in the YAML"
else not_ok "refused: a dangling !Ref in the YAML" "exit $RC: $OUT"; fi
sed 's/!GetAtt FunctionRole.Arn/!GetAtt FunctionRole.Name/' "$TPL" >"$T/getatt.yaml"
run node "$CHECK" "$T/getatt.yaml"
if [ "$RC" -eq 1 ] && [[ $OUT == *"FunctionRole.Name: AWS::IAM::Role has no attribute Name"* ]]; then
	ok "refused: a dangling !GetAtt attribute in the YAML"
else not_ok "refused: a dangling !GetAtt attribute in the YAML" "exit $RC: $OUT"; fi
sed 's/!Ref Layer\]/!Reff Layer]/' "$TPL" >"$T/tag.yaml"
run node "$CHECK" "$T/tag.yaml"
if [ "$RC" -eq 2 ] && [[ $OUT == *"Reff"* ]]; then ok "refused: an unknown short-form tag"
else not_ok "refused: an unknown short-form tag" "exit $RC: $OUT"; fi
printf 'Resources:\n  A:\n    Type: AWS::S3::Bucket\n  A:\n    Type: AWS::S3::Bucket\n' >"$T/dup.yaml"
run node "$CHECK" "$T/dup.yaml"
if [ "$RC" -eq 2 ]; then ok "refused: a duplicated key"; else not_ok "refused: a duplicated key" "exit $RC: $OUT"; fi

# ---- PolicyKeyName takes none of the runtime's own settings ----
# every INFLIGHT_ name the runtime's sources read, and bootstrap's
# own (tools/package.sh own_vars), as test_package.sh gives bootstrap
mapfile -t OWN < <({
	grep -ohE '"INFLIGHT_[A-Z0-9_]+"' runtime/*.[ch] core/*.[ch] core/include/inflight/*.h | tr -d '"'
	sed -n '/^own_vars=(/,/)/p' tools/package.sh | grep -oE 'INFLIGHT_[A-Z0-9_]+'; } | LC_ALL=C sort -u)
expect_contains "the names include INFLIGHT_THREADS and INFLIGHT_POLICY_KEY_NAME" \
	" ${OWN[*]} " " INFLIGHT_POLICY_KEY_NAME "
run node -e 'const { loadTemplate } = require(process.argv[1]);
	const re = new RegExp(`^(?:${loadTemplate(process.argv[2]).Parameters.PolicyKeyName.AllowedPattern})$`);
	const taken = process.argv.slice(3).filter((n) => re.test(n));
	console.log(taken.join(" "));
	if (!re.test("INFLIGHT_THREADS_KEY") || !re.test("INFLIGHT_POLICYKEY")) console.log("refuses a name that only starts like one");' \
	"$CHECK" "$TPL" "${OWN[@]}"
expect_eq "PolicyKeyName's AllowedPattern refuses each of the ${#OWN[@]} own settings, and only those" "$RC:$OUT" "0:"

# ---- the README walkthrough must match the template ----
sed -n '/^## Deploying to AWS/,$p' README.md >"$T/section.md"
if [ -s "$T/section.md" ]; then ok "README has a \"## Deploying to AWS\" section"
else not_ok "README section" "no \"## Deploying to AWS\""; fi
cp README.md "$T/README.md"
mkdir -p "$T/tools/deploy" && cp "$TPL" "$T/tools/deploy/inflight.yaml"
sed -i '/^## Deploying to AWS/,$ s/AccessPointName=/AccessPointNme=/' "$T/README.md"
run node "$CHECK" "$T/tools/deploy/inflight.yaml" --expect "$EXPECT" --readme "$T/README.md"
if [ "$RC" -eq 1 ] && [[ $OUT == *"--parameter-overrides AccessPointNme: the template has no such parameter"* ]]; then
	ok "refused: a README parameter the template lacks"
else not_ok "refused: a README parameter the template lacks" "exit $RC: $OUT"; fi
cp README.md "$T/README.md"
sed -i '/^## Deploying to AWS/,$ s/(out S3ObjectLambdaArn)/(out ObjectLambdaArn)/' "$T/README.md"
run node "$CHECK" "$T/tools/deploy/inflight.yaml" --expect "$EXPECT" --readme "$T/README.md"
if [ "$RC" -eq 1 ] && [[ $OUT == *"output ObjectLambdaArn is queried, the template has no such output"* ]]; then
	ok "refused: a README output the template lacks"
else not_ok "refused: a README output the template lacks" "exit $RC: $OUT"; fi
cp README.md "$T/README.md"
sed -i '/^## Deploying to AWS/,$ s/PolicyKeyName=INFLIGHT_MARKETING_KEY/PolicyKeyName=inflight_marketing_key/' "$T/README.md"
run node "$CHECK" "$T/tools/deploy/inflight.yaml" --expect "$EXPECT" --readme "$T/README.md"
if [ "$RC" -eq 1 ] && [[ $OUT == *"PolicyKeyName=inflight_marketing_key: does not match its AllowedPattern"* ]]; then
	ok "refused: a README parameter value the template does not take"
else not_ok "refused: a README parameter value the template does not take" "exit $RC: $OUT"; fi

finish
