// The simulator is a package of its own (the demo runs it too); tests keep their import path.
export * from '@plantgraph/sap-s4hana-simulator';
