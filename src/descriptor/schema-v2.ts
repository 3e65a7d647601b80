/**
 * The OCM component descriptor v2 JSON Schema (draft 2020-12), as a module so no file lookup is needed
 * at run time. Upstream: open-component-model/open-component-model
 * bindings/go/descriptor/v2/resources/schema-2020-12.json (commit 34059da8ccccce1d71d206c959286eed3aed84db),
 * licence Apache-2.0 (c) SAP SE or an SAP affiliate company and Open Component Model contributors.
 * Validation keywords are unchanged; the per-property "description" annotations were left out.
 *
 * The validator is generated from this object ahead of time (`npm run gen:schema` →
 * schema-v2.validator.ts) so commands never load ajv's compiler; a test fails when that file is stale.
 */

/** RFC 3339 date-time (the schema's `format: date-time` for creationTime and timestamps). */
export const dateTimeFormat = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[Tt]([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?([Zz]|[+-]([01]\d|2[0-3]):[0-5]\d)$/;

export const componentDescriptorV2Schema = {
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "description": "Open Component Model v2 schema",
  "$defs": {
    "meta": {
      "type": "object",
      "required": ["schemaVersion"],
      "properties": {"schemaVersion":{"type":"string","pattern":"^v2"}}
    },
    "merge": {
      "type": "object",
      "properties": {"algorithm":{"pattern":"^[a-z][a-z0-9/_-]+$"},"config":{}},
      "additionalProperties": false
    },
    "label": {
      "type": "object",
      "required": ["name","value"],
      "properties": {
        "name": {"type":"string"},
        "value": {},
        "version": {"pattern":"^v[0-9]+$"},
        "signing": {"type":"boolean"},
        "merge": {"$ref":"#/$defs/merge"}
      }
    },
    "componentName": {
      "type": "string",
      "maxLength": 255,
      "pattern": "^[a-z][-a-z0-9]*([.][a-z][-a-z0-9]*)*[.][a-z]{2,}(/[a-z][-a-z0-9_]*([.][a-z][-a-z0-9_]*)*)+$"
    },
    "identityAttributeKey": {"minLength":2,"pattern":"^[a-z0-9]([-_+a-z0-9]*[a-z0-9])?$"},
    "relaxedSemver": {
      "pattern": "^[v]?(0|[1-9]\\d*)(?:\\.(0|[1-9]\\d*))?(?:\\.(0|[1-9]\\d*))?(?:-((?:0|[1-9]\\d*|\\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\\.(?:0|[1-9]\\d*|\\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\\+([0-9a-zA-Z-]+(?:\\.[0-9a-zA-Z-]+)*))?$",
      "type": "string"
    },
    "identityAttribute": {"type":"object","propertyNames":{"$ref":"#/$defs/identityAttributeKey"}},
    "ocmType": {"pattern":"^([a-zA-Z0-9][a-zA-Z0-9.]*)(?:/(v[0-9]+(?:alpha[0-9]+|beta[0-9]+)?))?","type":"string"},
    "repositoryContext": {"type":"object","required":["type"],"properties":{"type":{"$ref":"#/$defs/ocmType"}}},
    "access": {"type":"object","required":["type"]},
    "sourceDefinition": {
      "type": "object",
      "required": ["name","version","type","access"],
      "properties": {
        "name": {"type":"string","$ref":"#/$defs/identityAttributeKey"},
        "extraIdentity": {"$ref":"#/$defs/identityAttribute"},
        "version": {"$ref":"#/$defs/relaxedSemver"},
        "type": {"$ref":"#/$defs/ocmType"},
        "labels": {"type":"array","items":{"$ref":"#/$defs/label"}},
        "access": {"$ref":"#/$defs/access"}
      }
    },
    "digestSpec": {
      "type": "object",
      "required": ["hashAlgorithm","normalisationAlgorithm","value"],
      "properties": {
        "hashAlgorithm": {"type":"string"},
        "normalisationAlgorithm": {"type":"string"},
        "value": {"type":"string"}
      }
    },
    "timestampSpec": {"type":"object","properties":{"value":{"type":"string"},"time":{"type":"string","format":"date-time"}}},
    "signatureSpec": {
      "type": "object",
      "required": ["algorithm","value","mediaType"],
      "properties": {"algorithm":{"type":"string"},"value":{"type":"string"},"mediaType":{"type":"string"}}
    },
    "signature": {
      "type": "object",
      "required": ["name","digest","signature"],
      "additionalProperties": false,
      "properties": {
        "name": {"type":"string"},
        "digest": {"$ref":"#/$defs/digestSpec"},
        "signature": {"$ref":"#/$defs/signatureSpec"},
        "timestamp": {"$ref":"#/$defs/timestampSpec"}
      }
    },
    "nestedDigestSpec": {
      "type": "object",
      "required": ["name"],
      "properties": {
        "name": {"type":"string"},
        "version": {"type":"string"},
        "extraIdentity": {"$ref":"#/$defs/identityAttribute"},
        "digest": {"$ref":"#/$defs/digestSpec"}
      }
    },
    "nestedComponentDigests": {
      "type": "object",
      "required": ["name","version"],
      "properties": {
        "name": {"$ref":"#/$defs/componentName"},
        "version": {"$ref":"#/$defs/relaxedSemver"},
        "digest": {"$ref":"#/$defs/digestSpec"},
        "resourceDigests": {"type":"array","items":{"$ref":"#/$defs/nestedDigestSpec"}}
      }
    },
    "srcRef": {
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "identitySelector": {"$ref":"#/$defs/identityAttribute"},
        "labels": {"type":"array","items":{"$ref":"#/$defs/label"}}
      }
    },
    "componentReference": {
      "type": "object",
      "required": ["name","componentName","version"],
      "additionalProperties": false,
      "properties": {
        "componentName": {"$ref":"#/$defs/componentName"},
        "name": {"type":"string","$ref":"#/$defs/identityAttributeKey"},
        "extraIdentity": {"$ref":"#/$defs/identityAttribute"},
        "version": {"$ref":"#/$defs/relaxedSemver"},
        "labels": {"type":"array","items":{"$ref":"#/$defs/label"}},
        "digest": {"oneOf":[{"type":"null"},{"$ref":"#/$defs/digestSpec"}]}
      }
    },
    "resourceDefinition": {
      "type": "object",
      "required": ["name","version","type","relation","access"],
      "properties": {
        "name": {"type":"string","$ref":"#/$defs/identityAttributeKey"},
        "extraIdentity": {"$ref":"#/$defs/identityAttribute"},
        "version": {"$ref":"#/$defs/relaxedSemver"},
        "type": {"$ref":"#/$defs/ocmType"},
        "srcRefs": {"type":"array","items":{"$ref":"#/$defs/srcRef"}},
        "relation": {"type":"string","enum":["local","external"]},
        "labels": {"type":"array","items":{"$ref":"#/$defs/label"}},
        "access": {"$ref":"#/$defs/access"},
        "digest": {"oneOf":[{"type":"null"},{"$ref":"#/$defs/digestSpec"}]}
      }
    },
    "component": {
      "type": "object",
      "required": ["name","version","repositoryContexts","provider","sources","componentReferences","resources"],
      "properties": {
        "name": {"$ref":"#/$defs/componentName"},
        "version": {"$ref":"#/$defs/relaxedSemver"},
        "creationTime": {"type":["string","null"],"format":"date-time"},
        "repositoryContexts": {"type":"array","items":{"$ref":"#/$defs/repositoryContext"}},
        "provider": {"type":"string"},
        "labels": {"type":"array","items":{"$ref":"#/$defs/label"}},
        "sources": {"type":"array","items":{"$ref":"#/$defs/sourceDefinition"}},
        "componentReferences": {"type":"array","items":{"$ref":"#/$defs/componentReference"}},
        "resources": {"type":"array","items":{"$ref":"#/$defs/resourceDefinition"}}
      }
    }
  },
  "type": "object",
  "required": ["meta","component"],
  "properties": {
    "meta": {"$ref":"#/$defs/meta"},
    "component": {"$ref":"#/$defs/component"},
    "signatures": {"type":"array","items":{"$ref":"#/$defs/signature"}},
    "nestedDigests": {"type":"array","items":{"$ref":"#/$defs/nestedComponentDigests"}}
  }
} as const;
