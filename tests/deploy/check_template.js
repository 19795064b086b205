'use strict';
/*
 * Offline checks of a CloudFormation template against the resource
 * specification shipped by @aws-cdk/cfnspec (no AWS account, no network).
 *
 *   node check_template.js TEMPLATE [--expect FILE.json] [--readme README.md]
 *
 * TEMPLATE is YAML (short-form tags !Ref, !GetAtt, !Sub ... are read as
 * their long forms) or JSON. Checked:
 *   - every resource Type exists in the specification;
 *   - every property is known for its type (nested property types
 *     recursively) and has the right type: primitives, lists (no
 *     duplicates where the specification forbids them), maps, property
 *     types; intrinsic functions are checked for what they return (a list
 *     where a string goes, a string where an object goes ...), both
 *     branches of Fn::If included;
 *   - every required property is present;
 *   - every Ref, Fn::GetAtt and Fn::Sub ${var} names a parameter, a
 *     resource, an attribute of that resource's type, or a pseudo
 *     parameter; every condition named exists; DependsOn names resources; a
 *     resource created under a condition is only referenced where that
 *     condition holds;
 *   - parameters: known types and keys, defaults within their constraints.
 * With --expect, the template-specific promises in FILE.json (see
 * expected.json): parameters and outputs that must exist, the exact IAM
 * actions of each role and managed policy (and which actions alone may use
 * Resource "*"), the Object Lambda configuration, the functions' runtime,
 * timeout, /tmp size and environment (with environmentComplete, no other
 * variable), and the policy key (policyKey): the name parameter's
 * AllowedPattern admits the names expected and refuses the others, the
 * key parameter is NoEcho, the function gets the name and, only when not
 * empty, the key, and the key goes nowhere else; and (parameterValues)
 * the values each listed parameter must take and must refuse.
 * With --readme, the "## Deploying to AWS" section must match: its
 * --template-file, every Name=value of --parameter-overrides a parameter
 * (a literal value one its AllowedValues and AllowedPattern admit),
 * every parameter without a default given, --capabilities CAPABILITY_IAM,
 * every output it queries (OutputKey=='X', or `$(f X)` of a shell function
 * f querying OutputKey=='$1') one of the template's, every output of the
 * template mentioned, and its paragraph starting "Parameters:" naming
 * exactly the template's parameters.
 *
 * Prints one "error: WHERE: WHAT" line per problem and exits 1, or prints
 * one "ok: ..." line and exits 0. Exit 2: usage or unreadable input.
 *
 *   node check_template.js --each [--expect FILE.json] TEMPLATE...
 * checks each TEMPLATE on its own in one process (the specification is read
 * once), printing its lines and then "== TEMPLATE exit N"; exits 0.
 */
const fs = require('fs');
const path = require('path');
const YAML = require('yaml');
const cfnspec = require('@aws-cdk/cfnspec');

/* The specification, read on first use: loading it is most of a run. */
let specCache = null;
function spec() {
	if (!specCache)
		specCache = cfnspec.specification();
	return specCache;
}
const PSEUDO = new Set(['AWS::AccountId', 'AWS::NotificationARNs', 'AWS::NoValue',
	'AWS::Partition', 'AWS::Region', 'AWS::StackId', 'AWS::StackName', 'AWS::URLSuffix']);
const TOP_KEYS = new Set(['AWSTemplateFormatVersion', 'Description', 'Metadata', 'Parameters',
	'Mappings', 'Conditions', 'Transform', 'Resources', 'Outputs', 'Rules']);
const RESOURCE_KEYS = new Set(['Type', 'Properties', 'DependsOn', 'Condition', 'DeletionPolicy',
	'UpdateReplacePolicy', 'Metadata', 'CreationPolicy', 'UpdatePolicy']);
const PARAM_KEYS = new Set(['Type', 'Default', 'AllowedValues', 'AllowedPattern', 'MinLength',
	'MaxLength', 'MinValue', 'MaxValue', 'Description', 'ConstraintDescription', 'NoEcho']);
const OUTPUT_KEYS = new Set(['Value', 'Description', 'Export', 'Condition']);
const POLICY_VALUES = new Set(['Delete', 'Retain', 'Snapshot', 'RetainExceptOnCreate']);
/* short tag -> long form */
const SHORT = {
	Ref: 'Ref', Condition: 'Condition', GetAtt: 'Fn::GetAtt', Sub: 'Fn::Sub', Join: 'Fn::Join',
	If: 'Fn::If', Equals: 'Fn::Equals', Not: 'Fn::Not', And: 'Fn::And', Or: 'Fn::Or',
	Select: 'Fn::Select', Split: 'Fn::Split', FindInMap: 'Fn::FindInMap', Base64: 'Fn::Base64',
	Cidr: 'Fn::Cidr', GetAZs: 'Fn::GetAZs', ImportValue: 'Fn::ImportValue', Transform: 'Fn::Transform',
	Length: 'Fn::Length', ToJsonString: 'Fn::ToJsonString',
};
const FUNCTIONS = new Set(Object.values(SHORT).filter((f) => f.startsWith('Fn::')));

/* ---------- loading ---------- */

function cfnTags() {
	const wrap = (name, node) => {
		const m = new YAML.YAMLMap();
		m.items.push(new YAML.Pair(new YAML.Scalar(name), node));
		return m;
	};
	const tags = [];
	for (const [short, long] of Object.entries(SHORT)) {
		tags.push({
			tag: `!${short}`,
			resolve: (str) => {
				if (short === 'GetAtt') {
					const dot = str.indexOf('.');
					return { [long]: dot < 0 ? [str] : [str.slice(0, dot), str.slice(dot + 1)] };
				}
				return { [long]: str };
			},
		});
		tags.push({ tag: `!${short}`, collection: 'seq', resolve: (node) => wrap(long, node) });
		tags.push({ tag: `!${short}`, collection: 'map', resolve: (node) => wrap(long, node) });
	}
	return tags;
}

/* Returns the template as plain data (long-form intrinsics); throws with
 * a message on a syntax error or an unknown tag. */
function loadTemplate(file) {
	const text = fs.readFileSync(file, 'utf8');
	if (file.endsWith('.json'))
		return JSON.parse(text);
	const doc = YAML.parseDocument(text, { customTags: cfnTags(), uniqueKeys: true });
	const problems = [...doc.errors, ...doc.warnings];
	if (problems.length)
		throw new Error(problems.map((p) => p.message.split('\n')[0]).join('; '));
	return doc.toJS();
}

/* ---------- helpers ---------- */

const isObj = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const fmt = (v) => JSON.stringify(v);

/* The intrinsic function of v ({Ref: ...} or {Fn::X: ...}), or null. */
function intrinsic(v) {
	if (!isObj(v))
		return null;
	const keys = Object.keys(v);
	if (keys.length !== 1)
		return null;
	const k = keys[0];
	if (k === 'Ref' || k.startsWith('Fn::'))
		return k;
	return null;
}

function resourceSpec(type) {
	return spec().ResourceTypes[type];
}

function propertyTypeSpec(resType, name) {
	return spec().PropertyTypes[`${resType}.${name}`] || spec().PropertyTypes[name];
}

/* ${...} variables of a Fn::Sub string, escapes (${!x}) left out. */
function subVariables(str) {
	const out = [];
	const re = /\$\{([^}]*)\}/g;
	let m;
	while ((m = re.exec(str)) !== null) {
		if (!m[1].startsWith('!'))
			out.push(m[1].trim());
	}
	return out;
}

/* ---------- the checker ---------- */

class Checker {
	constructor(tpl) {
		this.t = tpl;
		this.errors = [];
		this.params = isObj(tpl.Parameters) ? tpl.Parameters : {};
		this.resources = isObj(tpl.Resources) ? tpl.Resources : {};
		this.conditions = isObj(tpl.Conditions) ? tpl.Conditions : {};
		this.outputs = isObj(tpl.Outputs) ? tpl.Outputs : {};
		this.mappings = isObj(tpl.Mappings) ? tpl.Mappings : {};
	}

	err(where, what) {
		this.errors.push(`error: ${where}: ${what}`);
	}

	run() {
		this.checkTop();
		this.checkParameters();
		this.checkConditions();
		this.checkResources();
		this.checkOutputs();
		return this.errors;
	}

	checkTop() {
		for (const k of Object.keys(this.t)) {
			if (!TOP_KEYS.has(k))
				this.err(k, 'unknown top-level section');
		}
		if (!isObj(this.t.Resources) || Object.keys(this.t.Resources).length === 0)
			this.err('Resources', 'missing or empty');
		if (this.t.AWSTemplateFormatVersion !== undefined &&
		    this.t.AWSTemplateFormatVersion !== '2010-09-09')
			this.err('AWSTemplateFormatVersion', `must be "2010-09-09", not ${fmt(this.t.AWSTemplateFormatVersion)}`);
		const names = new Map();
		for (const [section, obj] of [['Parameters', this.params], ['Resources', this.resources]]) {
			for (const k of Object.keys(obj)) {
				if (!/^[A-Za-z0-9]+$/.test(k))
					this.err(`${section}.${k}`, 'logical ids are alphanumeric');
				if (names.has(k))
					this.err(`${section}.${k}`, `also defined in ${names.get(k)}`);
				names.set(k, section);
			}
		}
	}

	/* ----- parameters ----- */

	paramIsList(name) {
		const p = this.params[name];
		if (!p)
			return false;
		return p.Type === 'CommaDelimitedList' || /^List</.test(p.Type) ||
			/^AWS::SSM::Parameter::Value<List</.test(p.Type);
	}

	checkParameters() {
		for (const [name, p] of Object.entries(this.params)) {
			const where = `Parameters.${name}`;
			if (!isObj(p)) {
				this.err(where, 'must be a mapping');
				continue;
			}
			for (const k of Object.keys(p)) {
				if (!PARAM_KEYS.has(k))
					this.err(`${where}.${k}`, 'unknown parameter attribute');
			}
			const type = p.Type;
			if (typeof type !== 'string' ||
			    !(['String', 'Number', 'List<Number>', 'CommaDelimitedList'].includes(type) ||
			      /^(List<)?AWS::/.test(type)))
				this.err(`${where}.Type`, `unknown parameter type ${fmt(type)}`);
			if (p.Default === undefined)
				continue;
			const d = p.Default;
			if (typeof d === 'object')
				this.err(`${where}.Default`, 'must be a scalar');
			const ds = String(d);
			if (p.AllowedValues !== undefined) {
				if (!Array.isArray(p.AllowedValues))
					this.err(`${where}.AllowedValues`, 'must be a list');
				else if (!p.AllowedValues.map(String).includes(ds))
					this.err(`${where}.Default`, `${fmt(d)} is not among AllowedValues`);
			}
			if (p.AllowedPattern !== undefined) {
				let re = null;
				try {
					re = new RegExp(`^(?:${p.AllowedPattern})$`);
				} catch (e) {
					this.err(`${where}.AllowedPattern`, `not a regular expression: ${e.message}`);
				}
				if (re && !re.test(ds))
					this.err(`${where}.Default`, `${fmt(d)} does not match AllowedPattern`);
			}
			if (p.MinLength !== undefined && ds.length < Number(p.MinLength))
				this.err(`${where}.Default`, `shorter than MinLength ${p.MinLength}`);
			if (p.MaxLength !== undefined && ds.length > Number(p.MaxLength))
				this.err(`${where}.Default`, `longer than MaxLength ${p.MaxLength}`);
			if (type === 'Number') {
				if (!/^-?\d+(\.\d+)?$/.test(ds))
					this.err(`${where}.Default`, `${fmt(d)} is not a number`);
				if (p.MinValue !== undefined && Number(d) < Number(p.MinValue))
					this.err(`${where}.Default`, `below MinValue ${p.MinValue}`);
				if (p.MaxValue !== undefined && Number(d) > Number(p.MaxValue))
					this.err(`${where}.Default`, `above MaxValue ${p.MaxValue}`);
			}
		}
	}

	/* ----- conditions ----- */

	checkConditions() {
		for (const [name, c] of Object.entries(this.conditions)) {
			const f = intrinsic(c);
			if (!(['Fn::Equals', 'Fn::And', 'Fn::Or', 'Fn::Not'].includes(f) ||
			      (isObj(c) && Object.keys(c).length === 1 && 'Condition' in c)))
				this.err(`Conditions.${name}`, 'must be Fn::Equals, Fn::And, Fn::Or, Fn::Not or Condition');
			this.walk(c, `Conditions.${name}`, { inConditions: true, holds: new Set() });
		}
	}

	/* ----- references, everywhere ----- */

	/* Checks a Ref target; ctx.holds: conditions known to be true here. */
	checkRef(name, where, ctx) {
		if (typeof name !== 'string') {
			this.err(where, `Ref takes a name, not ${fmt(name)}`);
			return;
		}
		if (PSEUDO.has(name) || name in this.params)
			return;
		if (name in this.resources) {
			if (ctx.inConditions)
				this.err(where, `Conditions can only Ref parameters, not resource ${name}`);
			this.checkConditional(name, where, ctx);
			return;
		}
		this.err(where, `Ref ${name}: no such parameter, resource or pseudo parameter`);
	}

	checkConditional(res, where, ctx) {
		const cond = this.resources[res] && this.resources[res].Condition;
		if (typeof cond === 'string' && !ctx.holds.has(cond))
			this.err(where, `${res} exists only when ${cond} holds; reference it under Fn::If [${cond}, ...] or a resource with Condition ${cond}`);
	}

	checkGetAtt(res, attr, where, ctx) {
		if (typeof res !== 'string' || typeof attr !== 'string') {
			this.err(where, `Fn::GetAtt takes [resource, attribute], not ${fmt([res, attr])}`);
			return;
		}
		if (ctx.inConditions)
			this.err(where, 'Conditions cannot use Fn::GetAtt');
		const r = this.resources[res];
		if (!r) {
			this.err(where, `Fn::GetAtt ${res}.${attr}: no such resource`);
			return;
		}
		this.checkConditional(res, where, ctx);
		if (typeof r.Type !== 'string' || /^Custom::|^AWS::CloudFormation::CustomResource$/.test(r.Type))
			return;
		const spec = resourceSpec(r.Type);
		if (!spec)
			return; /* reported with the resource */
		const attrs = spec.Attributes || {};
		if (!(attr in attrs))
			this.err(where, `Fn::GetAtt ${res}.${attr}: ${r.Type} has no attribute ${attr} (it has: ${Object.keys(attrs).join(', ') || 'none'})`);
	}

	checkSub(arg, where, ctx) {
		let str = arg;
		let vars = {};
		if (Array.isArray(arg)) {
			if (arg.length !== 2 || typeof arg[0] !== 'string' || !isObj(arg[1])) {
				this.err(where, 'Fn::Sub takes a string or [string, {variables}]');
				return;
			}
			[str, vars] = arg;
			for (const [k, v] of Object.entries(vars))
				this.walk(v, `${where}.${k}`, ctx);
		} else if (typeof str !== 'string') {
			this.err(where, 'Fn::Sub takes a string or [string, {variables}]');
			return;
		}
		for (const v of subVariables(str)) {
			if (v in vars)
				continue;
			const dot = v.indexOf('.');
			if (dot > 0 && !v.startsWith('AWS::'))
				this.checkGetAtt(v.slice(0, dot), v.slice(dot + 1), `${where} \${${v}}`, ctx);
			else
				this.checkRef(v, `${where} \${${v}}`, ctx);
		}
	}

	checkConditionName(name, where) {
		if (typeof name !== 'string' || !(name in this.conditions))
			this.err(where, `condition ${fmt(name)} is not defined in Conditions`);
	}

	/* Walks any value, checking every intrinsic function in it. */
	walk(v, where, ctx) {
		if (Array.isArray(v)) {
			v.forEach((x, i) => this.walk(x, `${where}[${i}]`, ctx));
			return;
		}
		if (!isObj(v))
			return;
		const keys = Object.keys(v);
		if (keys.length === 1 && keys[0] === 'Condition' && ctx.inConditions) {
			this.checkConditionName(v.Condition, where);
			return;
		}
		const f = intrinsic(v);
		if (!f) {
			for (const k of keys) {
				if (k.startsWith('Fn::'))
					this.err(`${where}.${k}`, `${k} must be the only key of its mapping`);
				this.walk(v[k], `${where}.${k}`, ctx);
			}
			return;
		}
		const a = v[f];
		const at = `${where}.${f}`;
		switch (f) {
		case 'Ref':
			this.checkRef(a, at, ctx);
			return;
		case 'Fn::GetAtt': {
			const parts = typeof a === 'string' ? [a.slice(0, a.indexOf('.')), a.slice(a.indexOf('.') + 1)] : a;
			if (!Array.isArray(parts) || parts.length !== 2) {
				this.err(at, `takes [resource, attribute], not ${fmt(a)}`);
				return;
			}
			if (isObj(parts[1]))
				this.walk(parts[1], at, ctx);
			else
				this.checkGetAtt(parts[0], parts[1], at, ctx);
			return;
		}
		case 'Fn::Sub':
			this.checkSub(a, at, ctx);
			return;
		case 'Fn::If': {
			if (!Array.isArray(a) || a.length !== 3) {
				this.err(at, 'takes [condition, value if true, value if false]');
				return;
			}
			this.checkConditionName(a[0], at);
			const holds = new Set(ctx.holds);
			holds.add(a[0]);
			this.walk(a[1], `${at}[1]`, { ...ctx, holds });
			this.walk(a[2], `${at}[2]`, ctx);
			return;
		}
		default:
			break;
		}
		if (!FUNCTIONS.has(f)) {
			this.err(at, `unknown intrinsic function ${f}`);
			return;
		}
		const arity = { 'Fn::Equals': 2, 'Fn::Join': 2, 'Fn::Select': 2, 'Fn::Split': 2, 'Fn::FindInMap': 3, 'Fn::Cidr': 3 };
		if (arity[f] !== undefined && (!Array.isArray(a) || a.length !== arity[f]))
			this.err(at, `takes a list of ${arity[f]}`);
		if (f === 'Fn::Not' && (!Array.isArray(a) || a.length !== 1))
			this.err(at, 'takes a list of 1');
		if ((f === 'Fn::And' || f === 'Fn::Or') && (!Array.isArray(a) || a.length < 2 || a.length > 10))
			this.err(at, 'takes a list of 2 to 10 conditions');
		if (f === 'Fn::FindInMap' && Array.isArray(a) && typeof a[0] === 'string' && !(a[0] in this.mappings))
			this.err(at, `mapping ${a[0]} is not defined in Mappings`);
		if (f === 'Fn::Join' && Array.isArray(a) && typeof a[0] !== 'string')
			this.err(at, 'the delimiter must be a string');
		if (['Fn::Equals', 'Fn::And', 'Fn::Or', 'Fn::Not'].includes(f) && !ctx.inConditions)
			this.err(at, `${f} belongs in Conditions`);
		if ((f === 'Fn::And' || f === 'Fn::Or' || f === 'Fn::Not') && Array.isArray(a)) {
			a.forEach((c, i) => {
				if (isObj(c) && Object.keys(c).length === 1 && 'Condition' in c)
					this.checkConditionName(c.Condition, `${at}[${i}]`);
				else
					this.walk(c, `${at}[${i}]`, ctx);
			});
			return;
		}
		this.walk(a, at, ctx);
	}

	/* ----- what an intrinsic returns: 'list', 'scalar', or 'any' ----- */

	kindOf(v) {
		const f = intrinsic(v);
		if (!f)
			return Array.isArray(v) ? 'list' : isObj(v) ? 'object' : 'scalar';
		const a = v[f];
		switch (f) {
		case 'Ref':
			if (a === 'AWS::NotificationARNs')
				return 'list';
			return this.paramIsList(a) ? 'list' : 'scalar';
		case 'Fn::GetAtt': {
			const parts = typeof a === 'string' ? [a.slice(0, a.indexOf('.')), a.slice(a.indexOf('.') + 1)] : a;
			const r = Array.isArray(parts) && this.resources[parts[0]];
			const spec = r && resourceSpec(r.Type);
			const attr = spec && spec.Attributes && spec.Attributes[parts[1]];
			if (!attr)
				return 'any';
			return attr.Type === 'List' ? 'list' : 'scalar';
		}
		case 'Fn::Sub': case 'Fn::Join': case 'Fn::Base64': case 'Fn::ImportValue':
			return 'scalar';
		case 'Fn::Split': case 'Fn::GetAZs': case 'Fn::Cidr':
			return 'list';
		default:
			return 'any';
		}
	}

	/* ----- resources and their properties ----- */

	checkResources() {
		for (const [name, r] of Object.entries(this.resources)) {
			const where = `Resources.${name}`;
			if (!isObj(r)) {
				this.err(where, 'must be a mapping');
				continue;
			}
			for (const k of Object.keys(r)) {
				if (!RESOURCE_KEYS.has(k))
					this.err(`${where}.${k}`, 'unknown resource attribute');
			}
			for (const k of ['DeletionPolicy', 'UpdateReplacePolicy']) {
				if (r[k] !== undefined && !POLICY_VALUES.has(r[k]))
					this.err(`${where}.${k}`, `unknown value ${fmt(r[k])}`);
			}
			const holds = new Set();
			if (r.Condition !== undefined) {
				this.checkConditionName(r.Condition, `${where}.Condition`);
				holds.add(r.Condition);
			}
			if (r.DependsOn !== undefined) {
				const deps = Array.isArray(r.DependsOn) ? r.DependsOn : [r.DependsOn];
				for (const d of deps) {
					if (typeof d !== 'string' || !(d in this.resources))
						this.err(`${where}.DependsOn`, `${fmt(d)} is not a resource`);
					else if (d === name)
						this.err(`${where}.DependsOn`, 'a resource cannot depend on itself');
				}
			}
			const ctx = { inConditions: false, holds };
			this.walk(r.Properties, `${where}.Properties`, ctx);
			if (r.Metadata !== undefined)
				this.walk(r.Metadata, `${where}.Metadata`, ctx);
			if (typeof r.Type !== 'string') {
				this.err(`${where}.Type`, 'missing');
				continue;
			}
			if (/^Custom::[A-Za-z0-9_@-]+$/.test(r.Type) || r.Type === 'AWS::CloudFormation::CustomResource')
				continue;
			const spec = resourceSpec(r.Type);
			if (!spec) {
				this.err(`${where}.Type`, `unknown resource type ${r.Type}`);
				continue;
			}
			if (r.Properties !== undefined && !isObj(r.Properties)) {
				this.err(`${where}.Properties`, 'must be a mapping');
				continue;
			}
			this.checkProps(r.Properties || {}, spec.Properties || {}, r.Type, `${where}.Properties`);
		}
	}

	/* props: the template's mapping; specProps: name -> property spec;
	 * resType: the resource type (property types are named under it);
	 * label: what the mapping is, for messages (default resType). */
	checkProps(props, specProps, resType, where, label = resType) {
		for (const [k, v] of Object.entries(props)) {
			const ps = specProps[k];
			if (!ps) {
				const known = Object.keys(specProps);
				this.err(`${where}.${k}`, `unknown property of ${label} (known: ${known.join(', ') || 'none'})`);
				continue;
			}
			this.checkValue(v, ps, resType, `${where}.${k}`);
		}
		for (const [k, ps] of Object.entries(specProps)) {
			if (ps.Required && !(k in props))
				this.err(`${where}.${k}`, `required property of ${label} is missing`);
		}
	}

	/* Checks one value against a property spec (PrimitiveType, Type with
	 * ItemType/PrimitiveItemType, or the union forms). */
	checkValue(v, ps, resType, where) {
		const f = intrinsic(v);
		if (f === 'Fn::If' && Array.isArray(v[f]) && v[f].length === 3) {
			for (const i of [1, 2]) {
				const b = v[f][i];
				if (!(isObj(b) && b.Ref === 'AWS::NoValue'))
					this.checkValue(b, ps, resType, `${where}.Fn::If[${i}]`);
			}
			return;
		}
		const alts = this.alternatives(ps);
		let firstErrors = null;
		for (const alt of alts) {
			const saved = this.errors;
			this.errors = [];
			this.checkOne(v, alt, resType, where);
			const errs = this.errors;
			this.errors = saved;
			if (errs.length === 0)
				return;
			if (!firstErrors)
				firstErrors = errs;
		}
		if (firstErrors)
			this.errors.push(...firstErrors);
	}

	/* The single-type specs a property spec allows. */
	alternatives(ps) {
		const out = [];
		if (ps.PrimitiveType)
			out.push({ PrimitiveType: ps.PrimitiveType });
		if (ps.Type === 'List' || ps.Type === 'Map') {
			if (ps.PrimitiveItemType)
				out.push({ Type: ps.Type, PrimitiveItemType: ps.PrimitiveItemType, DuplicatesAllowed: ps.DuplicatesAllowed });
			if (ps.ItemType)
				out.push({ Type: ps.Type, ItemType: ps.ItemType, DuplicatesAllowed: ps.DuplicatesAllowed });
			for (const t of ps.PrimitiveItemTypes || [])
				out.push({ Type: ps.Type, PrimitiveItemType: t });
			for (const t of ps.ItemTypes || [])
				out.push({ Type: ps.Type, ItemType: t });
			if (!ps.PrimitiveItemType && !ps.ItemType && !ps.PrimitiveItemTypes && !ps.ItemTypes)
				out.push({ Type: ps.Type, PrimitiveItemType: 'Json' });
		} else if (ps.Type) {
			out.push({ Type: ps.Type });
		}
		for (const t of ps.PrimitiveTypes || [])
			out.push({ PrimitiveType: t });
		for (const t of ps.Types || [])
			out.push({ Type: t });
		if (out.length === 0)
			out.push({ PrimitiveType: 'Json' });
		return out;
	}

	checkOne(v, ps, resType, where) {
		const f = intrinsic(v);
		if (f) {
			const kind = this.kindOf(v);
			const wantList = ps.Type === 'List';
			const wantObject = (ps.Type && ps.Type !== 'List') || ps.PrimitiveType === 'Json';
			if (kind === 'list' && !wantList && ps.PrimitiveType !== 'Json')
				this.err(where, `${f} gives a list, the property takes ${this.describe(ps)}`);
			else if (kind === 'scalar' && wantList)
				this.err(where, `${f} gives a single value, the property takes ${this.describe(ps)}`);
			else if (kind === 'scalar' && wantObject && ps.PrimitiveType !== 'Json' && ps.Type !== 'Map')
				this.err(where, `${f} gives a string, the property takes ${this.describe(ps)}`);
			return;
		}
		if (ps.PrimitiveType) {
			if (!this.primitiveOk(v, ps.PrimitiveType))
				this.err(where, `${fmt(v)} is not ${this.describe(ps)}`);
			return;
		}
		if (ps.Type === 'List') {
			if (!Array.isArray(v)) {
				this.err(where, `${this.describe(ps)} expected, got ${fmt(v)}`);
				return;
			}
			const item = ps.ItemType ? { Type: ps.ItemType } : { PrimitiveType: ps.PrimitiveItemType };
			v.forEach((x, i) => this.checkValue(x, item, resType, `${where}[${i}]`));
			if (ps.DuplicatesAllowed === false) {
				const seen = new Set();
				for (const x of v) {
					const key = fmt(x);
					if (seen.has(key))
						this.err(where, `duplicate item ${key}`);
					seen.add(key);
				}
			}
			return;
		}
		if (ps.Type === 'Map') {
			if (!isObj(v)) {
				this.err(where, `${this.describe(ps)} expected, got ${fmt(v)}`);
				return;
			}
			const item = ps.ItemType ? { Type: ps.ItemType } : { PrimitiveType: ps.PrimitiveItemType };
			for (const [k, x] of Object.entries(v))
				this.checkValue(x, item, resType, `${where}.${k}`);
			return;
		}
		const pt = propertyTypeSpec(resType, ps.Type);
		if (!pt) {
			this.err(where, `the specification has no property type ${resType}.${ps.Type}`);
			return;
		}
		if (pt.PrimitiveType || (!pt.Properties && (pt.Type || pt.ItemType))) {
			this.checkValue(v, pt, resType, where);
			return;
		}
		if (!isObj(v)) {
			this.err(where, `${ps.Type} (a mapping) expected, got ${fmt(v)}`);
			return;
		}
		this.checkProps(v, pt.Properties || {}, resType, where, `${resType}.${ps.Type}`);
	}

	primitiveOk(v, t) {
		switch (t) {
		case 'String':
			return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
		case 'Integer': case 'Long':
			return (typeof v === 'number' && Number.isInteger(v)) ||
				(typeof v === 'string' && /^-?\d+$/.test(v));
		case 'Double':
			return typeof v === 'number' || (typeof v === 'string' && /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(v));
		case 'Boolean':
			return typeof v === 'boolean' || v === 'true' || v === 'false';
		case 'Timestamp':
			return typeof v === 'string' || v instanceof Date;
		case 'Json':
			return isObj(v) || typeof v === 'string';
		default:
			return true;
		}
	}

	describe(ps) {
		if (ps.PrimitiveType)
			return `a ${ps.PrimitiveType}`;
		if (ps.Type === 'List' || ps.Type === 'Map')
			return `a ${ps.Type} of ${ps.ItemType || ps.PrimitiveItemType}`;
		return `a ${ps.Type}`;
	}

	/* ----- outputs ----- */

	checkOutputs() {
		for (const [name, o] of Object.entries(this.outputs)) {
			const where = `Outputs.${name}`;
			if (!isObj(o)) {
				this.err(where, 'must be a mapping');
				continue;
			}
			for (const k of Object.keys(o)) {
				if (!OUTPUT_KEYS.has(k))
					this.err(`${where}.${k}`, 'unknown output attribute');
			}
			if (!('Value' in o))
				this.err(`${where}.Value`, 'missing');
			const holds = new Set();
			if (o.Condition !== undefined) {
				this.checkConditionName(o.Condition, `${where}.Condition`);
				holds.add(o.Condition);
			}
			this.walk(o.Value, `${where}.Value`, { inConditions: false, holds });
			if (this.kindOf(o.Value) === 'list' || this.kindOf(o.Value) === 'object')
				this.err(`${where}.Value`, 'an output is a string');
			if (o.Export !== undefined)
				this.walk(o.Export, `${where}.Export`, { inConditions: false, holds });
		}
	}
}

/* ---------- template-specific promises (--expect) ---------- */

const asList = (v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/* The statements of every policy attached to role `name`. */
function roleStatements(tpl, name) {
	const r = tpl.Resources[name];
	const out = [];
	for (const p of asList(r.Properties && r.Properties.Policies)) {
		if (isObj(p) && isObj(p.PolicyDocument))
			out.push(...asList(p.PolicyDocument.Statement).map((s) => [`${name}.Policies.${p.PolicyName}`, s]));
	}
	for (const [other, res] of Object.entries(tpl.Resources)) {
		if (!['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy', 'AWS::IAM::RolePolicy'].includes(res.Type))
			continue;
		const props = res.Properties || {};
		const roles = [...asList(props.Roles), ...asList(props.RoleName)];
		if (roles.some((x) => isObj(x) && x.Ref === name))
			out.push(...asList(props.PolicyDocument && props.PolicyDocument.Statement).map((s) => [other, s]));
	}
	return out;
}

function checkStatements(errs, where, statements, want, starOk) {
	const got = new Set();
	for (const [from, s] of statements) {
		const at = `${where} (${from}${s.Sid ? ` ${s.Sid}` : ''})`;
		if (!isObj(s)) {
			errs.push(`error: ${at}: a statement must be a mapping`);
			continue;
		}
		if (s.Effect !== 'Allow')
			errs.push(`error: ${at}: Effect must be Allow, not ${fmt(s.Effect)}`);
		for (const k of ['NotAction', 'NotResource', 'NotPrincipal']) {
			if (k in s)
				errs.push(`error: ${at}: ${k} grants more than it names`);
		}
		const actions = asList(s.Action);
		for (const a of actions) {
			if (typeof a !== 'string' || a.includes('*'))
				errs.push(`error: ${at}: action ${fmt(a)} is a wildcard`);
			got.add(a);
		}
		const resources = asList(s.Resource);
		if (resources.length === 0)
			errs.push(`error: ${at}: no Resource`);
		if (resources.includes('*')) {
			for (const a of actions) {
				if (!starOk.includes(a))
					errs.push(`error: ${at}: ${a} on Resource "*"; only ${starOk.join(', ') || 'no action'} may use "*"`);
			}
		}
	}
	const wantSet = new Set(want);
	const extra = [...got].filter((a) => !wantSet.has(a));
	const missing = want.filter((a) => !got.has(a));
	if (extra.length)
		errs.push(`error: ${where}: actions beyond the needed ones: ${extra.join(', ')}`);
	if (missing.length)
		errs.push(`error: ${where}: needed actions missing: ${missing.join(', ')}`);
}

function checkExpect(tpl, exp) {
	const errs = [];
	const res = isObj(tpl.Resources) ? tpl.Resources : {};
	const params = isObj(tpl.Parameters) ? tpl.Parameters : {};
	const outputs = isObj(tpl.Outputs) ? tpl.Outputs : {};
	for (const p of exp.parameters || []) {
		if (!(p in params))
			errs.push(`error: Parameters.${p}: expected parameter is missing`);
	}
	for (const o of exp.outputs || []) {
		if (!(o in outputs))
			errs.push(`error: Outputs.${o}: expected output is missing`);
	}
	for (const [name, want] of Object.entries(exp.roles || {})) {
		const r = res[name];
		if (!r || r.Type !== 'AWS::IAM::Role') {
			errs.push(`error: Resources.${name}: expected an AWS::IAM::Role`);
			continue;
		}
		const props = r.Properties || {};
		if (asList(props.ManagedPolicyArns).length)
			errs.push(`error: Resources.${name}.ManagedPolicyArns: managed policies grant actions this check cannot see; list the actions inline`);
		const trust = asList(props.AssumeRolePolicyDocument && props.AssumeRolePolicyDocument.Statement);
		const services = trust.flatMap((s) => asList(s.Principal && s.Principal.Service));
		if (fmt(services) !== fmt(asList(want.trust)))
			errs.push(`error: Resources.${name}.AssumeRolePolicyDocument: trusted services ${fmt(services)}, expected ${fmt(asList(want.trust))}`);
		if (trust.some((s) => fmt(asList(s.Action)) !== '["sts:AssumeRole"]'))
			errs.push(`error: Resources.${name}.AssumeRolePolicyDocument: only sts:AssumeRole`);
		checkStatements(errs, `Resources.${name}`, roleStatements(tpl, name), want.actions, want.starResource || []);
	}
	for (const [name, want] of Object.entries(exp.managedPolicies || {})) {
		const r = res[name];
		if (!r || r.Type !== 'AWS::IAM::ManagedPolicy') {
			errs.push(`error: Resources.${name}: expected an AWS::IAM::ManagedPolicy`);
			continue;
		}
		const st = asList(r.Properties && r.Properties.PolicyDocument && r.Properties.PolicyDocument.Statement);
		checkStatements(errs, `Resources.${name}`, st.map((s) => [name, s]), want.actions, want.starResource || []);
	}
	if (exp.objectLambda) {
		const olaps = Object.entries(res).filter(([, r]) => r.Type === 'AWS::S3ObjectLambda::AccessPoint');
		if (olaps.length !== 1)
			errs.push(`error: Resources: expected one AWS::S3ObjectLambda::AccessPoint, found ${olaps.length}`);
		for (const [name, r] of olaps) {
			const c = (r.Properties || {}).ObjectLambdaConfiguration || {};
			const at = `Resources.${name}.Properties.ObjectLambdaConfiguration`;
			const sorted = (l) => fmt([...asList(l)].sort());
			if (sorted(c.AllowedFeatures) !== sorted(exp.objectLambda.allowedFeatures))
				errs.push(`error: ${at}.AllowedFeatures: ${fmt(c.AllowedFeatures)}, expected ${fmt(exp.objectLambda.allowedFeatures)}`);
			const tcs = asList(c.TransformationConfigurations);
			const actions = tcs.flatMap((t) => asList(t.Actions));
			if (sorted(actions) !== sorted(exp.objectLambda.actions))
				errs.push(`error: ${at}.TransformationConfigurations: actions ${fmt(actions)}, expected ${fmt(exp.objectLambda.actions)}`);
			for (const [i, t] of tcs.entries()) {
				const lam = t.ContentTransformation && t.ContentTransformation.AwsLambda;
				const payload = lam && lam.FunctionPayload;
				const text = isObj(payload) && typeof payload['Fn::Sub'] === 'string' ? payload['Fn::Sub'] : payload;
				const needle = exp.objectLambda.payloadNames;
				if (typeof text !== 'string' || !text.includes(`\${${needle}}`))
					errs.push(`error: ${at}.TransformationConfigurations[${i}].ContentTransformation.AwsLambda.FunctionPayload: must name the policy (\${${needle}})`);
				else {
					try {
						JSON.parse(text.replace(/\$\{[^}]*\}/g, 'x'));
					} catch (e) {
						errs.push(`error: ${at}.TransformationConfigurations[${i}]...FunctionPayload: not JSON: ${e.message}`);
					}
				}
				const fa = lam && lam.FunctionArn;
				const ga = isObj(fa) && fa['Fn::GetAtt'];
				if (!ga || !res[ga[0]] || res[ga[0]].Type !== 'AWS::Lambda::Function' || ga[1] !== 'Arn')
					errs.push(`error: ${at}.TransformationConfigurations[${i}]...FunctionArn: must be the Arn of the template's function`);
			}
		}
	}
	if (exp.function) {
		const fns = Object.entries(res).filter(([, r]) => r.Type === 'AWS::Lambda::Function');
		for (const [name, r] of fns) {
			const p = r.Properties || {};
			const at = `Resources.${name}.Properties`;
			if (p.Runtime !== exp.function.runtime)
				errs.push(`error: ${at}.Runtime: ${fmt(p.Runtime)}, expected ${exp.function.runtime}`);
			let timeout = p.Timeout;
			if (isObj(timeout) && typeof timeout.Ref === 'string' && params[timeout.Ref])
				timeout = params[timeout.Ref].MaxValue;
			if (!(Number(timeout) > 0 && Number(timeout) <= exp.function.maxTimeout))
				errs.push(`error: ${at}.Timeout: must be at most ${exp.function.maxTimeout} s (a parameter needs MaxValue)`);
			const vars = (p.Environment && p.Environment.Variables) || {};
			/* the value, or the text of its Fn::Sub, is the path expected or
			 * lies under it; {"ref": P}: the value is the parameter P */
			for (const [k, v] of Object.entries(exp.function.environment || {})) {
				const val = vars[k];
				if (isObj(v)) {
					if (!isObj(val) || val.Ref !== v.ref)
						errs.push(`error: ${at}.Environment.Variables.${k}: ${fmt(val)}, expected the parameter ${v.ref}`);
					continue;
				}
				const text = isObj(val) && typeof val['Fn::Sub'] === 'string' ? val['Fn::Sub'] : val;
				if (typeof text !== 'string' || !(text === v || text.startsWith(`${v}/`)))
					errs.push(`error: ${at}.Environment.Variables.${k}: ${fmt(val)}, expected ${fmt(v)} or a path under it`);
			}
			if (exp.function.environmentComplete) {
				const known = new Set(Object.keys(exp.function.environment || {}));
				if (exp.policyKey)
					[exp.policyKey.nameVariable, exp.policyKey.keyVariable].forEach((k) => known.add(k));
				for (const k of Object.keys(vars)) {
					if (!known.has(k))
						errs.push(`error: ${at}.Environment.Variables.${k}: not a variable the function is expected to get`);
				}
			}
			if (exp.policyKey)
				checkPolicyKeyVariables(errs, tpl, name, vars, exp.policyKey);
			/* the spool of a large object lives in /tmp: its size is the
			 * operator's to set */
			const eph = exp.function.ephemeralStorageParameter;
			if (eph && !(isObj(p.EphemeralStorage) && isObj(p.EphemeralStorage.Size) &&
				     p.EphemeralStorage.Size.Ref === eph))
				errs.push(`error: ${at}.EphemeralStorage.Size: must be the parameter ${eph} (large objects spool to /tmp)`);
			if (asList(p.Layers).length === 0)
				errs.push(`error: ${at}.Layers: the function needs the layer`);
			if (!(p.Code && p.Code.S3Bucket && p.Code.S3Key))
				errs.push(`error: ${at}.Code: must come from S3 (S3Bucket, S3Key)`);
		}
	}
	if (exp.policyKey)
		checkPolicyKeyParameters(errs, tpl, exp.policyKey);
	for (const [name, want] of Object.entries(exp.parameterValues || {}))
		checkParameterValues(errs, params, name, want);
	return errs;
}

/* Would CloudFormation take `v` for parameter `p` (AllowedPattern, which
 * must match the whole value, AllowedValues, MinLength, MaxLength)? */
function parameterTakes(p, v) {
	if (Array.isArray(p.AllowedValues) && !p.AllowedValues.map(String).includes(v))
		return false;
	if (p.MinLength !== undefined && v.length < Number(p.MinLength))
		return false;
	if (p.MaxLength !== undefined && v.length > Number(p.MaxLength))
		return false;
	if (typeof p.AllowedPattern !== 'string')
		return true;
	try {
		return new RegExp(`^(?:${p.AllowedPattern})$`).test(v);
	} catch (e) {
		return true; /* reported with the parameters */
	}
}

/* Parameter `name` takes every value of want.admit and none of
 * want.refuse: a mistake (an s3:// URL or an ARN where a bucket name
 * goes) is refused before anything is created, not after a rollback. */
function checkParameterValues(errs, params, name, want) {
	const p = params[name];
	const at = `Parameters.${name}`;
	if (!isObj(p)) {
		errs.push(`error: ${at}: expected parameter is missing`);
		return;
	}
	for (const v of want.admit || []) {
		if (!parameterTakes(p, v))
			errs.push(`error: ${at}: refuses ${fmt(v)}, a value it must take`);
	}
	for (const v of want.refuse || []) {
		if (parameterTakes(p, v))
			errs.push(`error: ${at}: takes ${fmt(v)}, which must be refused at once (${want.why || 'not a valid value'})`);
	}
}

/* Where in v (a path each) a Ref or Fn::Sub names parameter `name`. */
function refsTo(v, name, where, out) {
	if (Array.isArray(v)) {
		v.forEach((x, i) => refsTo(x, name, `${where}[${i}]`, out));
		return out;
	}
	if (!isObj(v))
		return out;
	for (const [k, x] of Object.entries(v)) {
		if (k === 'Ref' && x === name)
			out.push(where);
		else if (k === 'Fn::Sub') {
			const str = Array.isArray(x) ? x[0] : x;
			if (typeof str === 'string' && subVariables(str).includes(name))
				out.push(`${where}.Fn::Sub`);
			if (Array.isArray(x))
				refsTo(x[1], name, `${where}.Fn::Sub`, out);
		} else
			refsTo(x, name, `${where}.${k}`, out);
	}
	return out;
}

/* Is condition c "parameter p is not empty"? */
function conditionNotEmpty(c, p) {
	const not = isObj(c) && c['Fn::Not'];
	const eq = Array.isArray(not) && not.length === 1 && isObj(not[0]) && not[0]['Fn::Equals'];
	if (!Array.isArray(eq) || eq.length !== 2)
		return false;
	const isRef = (x) => isObj(x) && x.Ref === p;
	return (isRef(eq[0]) && eq[1] === '') || (isRef(eq[1]) && eq[0] === '');
}

/* The policy key's parameters: the name one admits only the names it
 * should (it names an environment variable of the function), the key one
 * is a secret and goes nowhere but the function's key variable. */
function checkPolicyKeyParameters(errs, tpl, pk) {
	const params = isObj(tpl.Parameters) ? tpl.Parameters : {};
	const np = params[pk.nameParameter];
	const kp = params[pk.keyParameter];
	const nat = `Parameters.${pk.nameParameter}`;
	const kat = `Parameters.${pk.keyParameter}`;
	if (isObj(np)) {
		let re = null;
		if (np.Type !== 'String')
			errs.push(`error: ${nat}.Type: must be String`);
		if (typeof np.AllowedPattern !== 'string')
			errs.push(`error: ${nat}.AllowedPattern: needed: it names an environment variable of the function`);
		else {
			try {
				re = new RegExp(`^(?:${np.AllowedPattern})$`);
			} catch (e) {
				/* reported with the parameters */
			}
		}
		if (re) {
			for (const n of pk.namesAllowed || []) {
				if (!re.test(n))
					errs.push(`error: ${nat}.AllowedPattern: refuses ${fmt(n)}, a name it must admit`);
			}
			for (const n of pk.namesRefused || []) {
				if (re.test(n))
					errs.push(`error: ${nat}.AllowedPattern: admits ${fmt(n)}, which must never be settable`);
			}
		}
	}
	if (isObj(kp)) {
		if (kp.NoEcho !== true && kp.NoEcho !== 'true')
			errs.push(`error: ${kat}.NoEcho: must be true (the key is a secret)`);
		if (kp.Default !== '')
			errs.push(`error: ${kat}.Default: must be "" (no key unless one is given)`);
	}
	/* the key reaches the function's key variable and the condition that
	 * leaves it unset, nothing else (an output, a tag, a description
	 * would show it) */
	const fns = Object.entries(isObj(tpl.Resources) ? tpl.Resources : {})
		.filter(([, r]) => r.Type === 'AWS::Lambda::Function').map(([n]) => n);
	const allowed = fns.map((n) => `Resources.${n}.Properties.Environment.Variables.${pk.keyVariable}`);
	for (const [c, v] of Object.entries(isObj(tpl.Conditions) ? tpl.Conditions : {})) {
		if (conditionNotEmpty(v, pk.keyParameter))
			allowed.push(`Conditions.${c}`);
	}
	for (const section of ['Conditions', 'Resources', 'Outputs', 'Metadata', 'Rules', 'Mappings']) {
		for (const where of refsTo(tpl[section], pk.keyParameter, section, [])) {
			if (!allowed.some((a) => where === a || where.startsWith(`${a}.`) || where.startsWith(`${a}[`)))
				errs.push(`error: ${where}: uses ${pk.keyParameter}; the key goes only into the function's ${pk.keyVariable}`);
		}
	}
}

/* The function `name` gets the policy key's name always, and the key only
 * when it is not empty. */
function checkPolicyKeyVariables(errs, tpl, name, vars, pk) {
	const at = `Resources.${name}.Properties.Environment.Variables`;
	const conds = isObj(tpl.Conditions) ? tpl.Conditions : {};
	const nv = vars[pk.nameVariable];
	if (!(isObj(nv) && nv.Ref === pk.nameParameter))
		errs.push(`error: ${at}.${pk.nameVariable}: ${fmt(nv)}, expected Ref ${pk.nameParameter}`);
	const kv = vars[pk.keyVariable];
	const f = isObj(kv) && kv['Fn::If'];
	if (!(Array.isArray(f) && f.length === 3 && conditionNotEmpty(conds[f[0]], pk.keyParameter) &&
	      isObj(f[1]) && f[1].Ref === pk.keyParameter && isObj(f[2]) && f[2].Ref === 'AWS::NoValue'))
		errs.push(`error: ${at}.${pk.keyVariable}: ${fmt(kv)}, expected Fn::If [C, Ref ${pk.keyParameter}, ` +
			`Ref AWS::NoValue] with C: Fn::Not [Fn::Equals [Ref ${pk.keyParameter}, ""]] (unset when empty)`);
}

/* ---------- the README walkthrough (--readme) ---------- */

function checkReadme(tpl, exp, readmeFile, templateFile) {
	const errs = [];
	const text = fs.readFileSync(readmeFile, 'utf8');
	const start = text.search(/^## Deploying to AWS\s*$/m);
	if (start < 0)
		return [`error: ${readmeFile}: no "## Deploying to AWS" section`];
	const rest = text.slice(start + 3);
	const end = rest.search(/^## /m);
	const sec = end < 0 ? rest : rest.slice(0, end);
	const where = `${readmeFile} (Deploying to AWS)`;
	const params = isObj(tpl.Parameters) ? tpl.Parameters : {};
	const outputs = isObj(tpl.Outputs) ? tpl.Outputs : {};
	/* shell commands, continuation lines joined */
	const commands = sec.replace(/\\\n\s*/g, ' ').split('\n');
	const deploys = commands.filter((c) => /aws cloudformation deploy/.test(c));
	if (deploys.length === 0)
		errs.push(`error: ${where}: no "aws cloudformation deploy" command`);
	const given = new Set();
	for (const c of deploys) {
		const tf = /--template-file\s+(\S+)/.exec(c);
		const rel = path.relative(path.dirname(readmeFile), templateFile);
		if (!tf || path.normalize(tf[1]) !== path.normalize(rel))
			errs.push(`error: ${where}: deploy must use --template-file ${rel}`);
		if (!/--capabilities\s+CAPABILITY_IAM\b/.test(c))
			errs.push(`error: ${where}: deploy needs --capabilities CAPABILITY_IAM (the template creates a role)`);
		const po = /--parameter-overrides\s+(.*)$/.exec(c);
		if (!po) {
			errs.push(`error: ${where}: deploy without --parameter-overrides`);
			continue;
		}
		for (const tok of po[1].split(/\s+/)) {
			if (/^--/.test(tok))
				break;
			const m = /^"?([A-Za-z0-9]+)=(.*)$/.exec(tok);
			if (!m)
				continue;
			if (!(m[1] in params))
				errs.push(`error: ${where}: --parameter-overrides ${m[1]}: the template has no such parameter`);
			given.add(m[1]);
			/* a literal value (no shell expansion, no quotes) must be one
			 * the parameter takes */
			const p = params[m[1]];
			if (!isObj(p) || /["'$`\\]/.test(m[2]))
				continue;
			if (Array.isArray(p.AllowedValues) && !p.AllowedValues.map(String).includes(m[2]))
				errs.push(`error: ${where}: --parameter-overrides ${m[1]}=${m[2]}: not among its AllowedValues`);
			let re = null;
			try {
				re = typeof p.AllowedPattern === 'string' ? new RegExp(`^(?:${p.AllowedPattern})$`) : null;
			} catch (e) {
				/* reported with the parameters */
			}
			if (re && !re.test(m[2]))
				errs.push(`error: ${where}: --parameter-overrides ${m[1]}=${m[2]}: does not match its AllowedPattern`);
		}
	}
	for (const [name, p] of Object.entries(params)) {
		if (isObj(p) && p.Default === undefined && !given.has(name))
			errs.push(`error: ${where}: parameter ${name} has no default and no deploy command gives it`);
	}
	/* outputs queried: OutputKey=='Name' literals, and calls of a shell
	 * function whose query is OutputKey=='$1' ("out Name") */
	const queried = [...sec.matchAll(/OutputKey==[`'"]?([A-Za-z0-9]+)/g)].map((m) => m[1]);
	for (const m of sec.matchAll(/([A-Za-z_][A-Za-z0-9_]*)\(\)\s*\{[^}]*OutputKey==[`'"]?\$1/g)) {
		for (const c of sec.matchAll(new RegExp(`\\$\\(${m[1]}\\s+([A-Za-z0-9]+)`, 'g')))
			queried.push(c[1]);
	}
	for (const o of queried) {
		if (!(o in outputs))
			errs.push(`error: ${where}: output ${o} is queried, the template has no such output`);
	}
	for (const o of Object.keys(outputs)) {
		if (!sec.includes(o))
			errs.push(`error: ${where}: output ${o} is never mentioned`);
	}
	/* the paragraph starting "Parameters:" names every parameter, and only those */
	const para = /^Parameters:[\s\S]*?(?:\n\s*\n|(?![\s\S]))/m.exec(sec);
	if (!para)
		errs.push(`error: ${where}: no paragraph starting "Parameters:" listing the template's parameters`);
	else {
		const named = new Set([...para[0].matchAll(/`([A-Z][A-Za-z0-9]*)`/g)].map((m) => m[1]));
		for (const n of named) {
			if (!(n in params))
				errs.push(`error: ${where}: Parameters: \`${n}\` is not a parameter of the template`);
		}
		for (const n of Object.keys(params)) {
			if (!named.has(n))
				errs.push(`error: ${where}: Parameters: ${n} is not described`);
		}
	}
	return errs;
}

/* ---------- main ---------- */

/* Checks one template; returns [exit status, output text]. */
function checkFile(file, expectFile, readme) {
	let tpl;
	let exp = null;
	try {
		tpl = loadTemplate(file);
		if (expectFile)
			exp = JSON.parse(fs.readFileSync(expectFile, 'utf8'));
	} catch (e) {
		return [2, `error: ${file}: ${e.message}\n`];
	}
	if (!isObj(tpl))
		return [2, `error: ${file}: not a mapping\n`];
	let errs = new Checker(tpl).run();
	if (exp)
		errs = errs.concat(checkExpect(tpl, exp));
	if (readme)
		errs = errs.concat(checkReadme(tpl, exp, readme, file));
	if (errs.length)
		return [1, `${errs.join('\n')}\n${file}: ${errs.length} problem(s)\n`];
	const n = (o) => Object.keys(o || {}).length;
	return [0, `ok: ${file}: ${n(tpl.Resources)} resources, ${n(tpl.Parameters)} parameters, ` +
		`${n(tpl.Outputs)} outputs checked against the CloudFormation resource specification ` +
		`${spec().ResourceSpecificationVersion}${exp ? ', IAM actions and Object Lambda configuration as expected' : ''}` +
		`${readme ? `, ${readme} matches` : ''}\n`];
}

function main(argv) {
	const args = argv.slice(2);
	const files = [];
	let expectFile = null;
	let readme = null;
	let each = false;
	let bad = false;
	for (let i = 0; i < args.length; i++) {
		if (args[i] === '--expect' && i + 1 < args.length)
			expectFile = args[++i];
		else if (args[i] === '--readme' && i + 1 < args.length)
			readme = args[++i];
		else if (args[i] === '--each')
			each = true;
		else if (!args[i].startsWith('--'))
			files.push(args[i]);
		else
			bad = true;
	}
	if (bad || files.length === 0 || (!each && files.length > 1)) {
		process.stderr.write('usage: node check_template.js TEMPLATE [--expect FILE.json] [--readme README.md]\n' +
			'       node check_template.js --each [--expect FILE.json] TEMPLATE...\n');
		return 2;
	}
	if (!each) {
		const [rc, text] = checkFile(files[0], expectFile, readme);
		process.stdout.write(text);
		return rc;
	}
	for (const f of files) {
		const [rc, text] = checkFile(f, expectFile, readme);
		process.stdout.write(`${text}== ${f} exit ${rc}\n`);
	}
	return 0;
}

module.exports = { loadTemplate, Checker, checkExpect, checkReadme };

if (require.main === module)
	process.exitCode = main(process.argv);
