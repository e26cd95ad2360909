import type { BatchRecordContent, BatchRecordStep } from './batch-record.content.js';
import { INFO_HASH, INFO_ORDER } from './batch-record.hash.js';

/** When and by whom this copy was rendered: printed on it, outside the hashed content. */
export interface Rendering {
  sha256: string;
  renderedAt: Date;
  renderedBy: string;
}

const MARGIN = 48;
const when = (iso: string | null) => (iso ? `${iso.slice(0, 19).replace('T', ' ')} UTC` : '-');
/** Text the standard fonts can show: Latin-1 as is, other letters without their accents, the rest as `?`. */
const printable = (text: string) =>
  [...text]
    .map((c) => {
      if (c.charCodeAt(0) <= 0xff) return c;
      const bare = c.normalize('NFKD').replace(/\p{M}/gu, '');
      return bare.length === 1 && bare.charCodeAt(0) <= 0xff ? bare : '?';
    })
    .join('');
const or = (value: string | number | null | undefined) => (value == null || value === '' ? '-' : String(value));

/**
 * Lays out the record as an A4 PDF with pdfkit's standard fonts (WinAnsi: names outside Latin-1
 * print as substitutes; the hash still covers the exact text). The order and hash also go into
 * the document's information dictionary, so `plantgraph record --verify <file>` can read them back.
 */
export async function layoutBatchRecord(content: BatchRecordContent, rendering: Rendering): Promise<Buffer> {
  // Loaded at the first record, not with the hub: pdfkit and its font code were about a tenth of
  // the hub's module loading at start, for a feature a start never uses (issue 15).
  const { default: PDFDocument } = await import('pdfkit');
  const doc = new PDFDocument({
    size: 'A4',
    margin: MARGIN,
    bufferPages: true,
    info: {
      Title: `Batch record ${content.order.number}`,
      Subject: `Executed batch record, sha256 ${rendering.sha256}`,
      Creator: 'PlantGraph',
      [INFO_ORDER]: content.order.number,
      [INFO_HASH]: rendering.sha256,
    } as PDFKit.DocumentInfo,
  });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  const width = doc.page.width - 2 * MARGIN;
  const heading = (text: string) => {
    doc.moveDown(0.8).font('Helvetica-Bold').fontSize(12).fillColor('black').text(printable(text));
    doc.moveDown(0.2).font('Helvetica').fontSize(9);
  };
  const line = (text: string, color = 'black') =>
    doc.fillColor(color).text(printable(text), { width }).fillColor('black');
  const pairs = (rows: [string, string][]) => {
    for (const [k, v] of rows) line(`${k}: ${v}`);
  };

  const { order, product } = content;
  doc
    .font('Helvetica-Bold')
    .fontSize(16)
    .text(printable(`Batch record ${order.number}`));
  doc
    .font('Helvetica')
    .fontSize(9)
    .text(printable(`${product.name} (${product.productDefinition} v${product.version})`));
  heading('Order');
  pairs([
    ['Order', `${order.number}${order.externalReference ? ` (${order.externalReference})` : ''}`],
    ['Product', `${product.productDefinition} v${product.version} ${product.name}; material ${product.material}`],
    ['Quantity', `${order.quantity} ${order.unitOfMeasure}; yield bracket ${or(product.yieldBracket)}`],
    ['Line', order.line],
    ['State', `${order.state}${order.stateReason ? ` (${order.stateReason})` : ''}`],
    ['Planned', `${when(order.plannedStart)} to ${when(order.plannedEnd)}`],
    ['Actual', `${when(order.actualStart)} to ${when(order.actualEnd)}`],
    ['Line cleared', when(order.lineClearedAt)],
    ['Master record snapshot taken', when(product.snapshotTakenAt)],
  ]);

  if (content.batches) {
    heading('Campaign batches (each ran every step; the unit cleaned between them)');
    if (!content.batches.length) line('None made yet.');
    for (const b of content.batches)
      line(
        `Batch ${b.sequence}: lot ${b.lotNumber}, ${b.quantity}, ` +
          `completed by ${b.completedBy} ${when(b.completedAt)}; ` +
          `cleaning ${b.cleaning ? `"${b.cleaning}" by ${or(b.cleanedBy)} ${when(b.cleanedAt)}` : 'not recorded'}`,
      );
  }

  heading('Steps (limits from the release snapshot)');
  for (const step of content.steps) steps(step);

  heading('Deviations');
  if (!content.deviations.length) line('None.');
  content.deviations.forEach((d, i) => {
    line(
      `${i + 1}. ${d.kind} (${d.severity}, ${d.state})${d.segment ? ` at ${d.segment}` : ''}: ${d.description}`,
      d.state === 'Open' ? 'red' : 'black',
    );
    line(`   opened by ${d.openedBy}; closed ${when(d.closedAt)}; resolution ${or(d.resolution)}; CAPA ${or(d.capa)}`);
  });

  heading('Electronic signatures');
  if (!content.signatures.length) line('None.');
  for (const s of content.signatures)
    line(`${s.printedName} (${s.signer}), ${when(s.signedAt)}, meaning ${s.meaning}, ${or(s.act)} on ${s.on}`);

  heading('Genealogy');
  for (const lot of content.genealogy.produced)
    line(`Produced lot ${lot.lotNumber}: ${lot.quantity} ${lot.unitOfMeasure}`);
  if (!content.genealogy.produced.length) line('Produced: none.');
  for (const lot of content.genealogy.consumed)
    line(`Consumed lot ${lot.lotNumber}: ${lot.quantity}${lot.into ? ` into ${lot.into}` : ''}`);
  if (!content.genealogy.consumed.length) line('Consumed: none recorded.');

  heading('Audit trail of the order (excerpt)');
  for (const a of content.audit)
    line(
      `${when(a.at)}  ${a.action} (${a.on}) by ${a.actor}${a.reason ? `: ${a.reason}` : ''}  [${a.hash.slice(0, 12)}]`,
    );

  heading('Integrity');
  line(`Content SHA-256: ${rendering.sha256}`);
  line(
    `The hash covers the canonical record content (${content.format}), not this file. Check it with ` +
      `"plantgraph record --verify <file>" or the GraphQL query verifyBatchRecord.`,
  );
  line(`Rendered ${when(rendering.renderedAt.toISOString())} by ${rendering.renderedBy}.`);

  // Footer on every page: the hash ties each page to the record.
  const range = doc.bufferedPageRange();
  for (let i = range.start; i < range.start + range.count; i++) {
    doc.switchToPage(i);
    // Below the bottom margin, where pdfkit would otherwise start a new page.
    const bottom = doc.page.margins.bottom;
    doc.page.margins.bottom = 0;
    doc
      .font('Helvetica')
      .fontSize(7)
      .fillColor('gray')
      .text(
        `${printable(order.number)}  sha256 ${rendering.sha256}  page ${i + 1} of ${range.count}`,
        MARGIN,
        doc.page.height - MARGIN + 12,
        { width, lineBreak: false },
      );
    doc.page.margins.bottom = bottom;
  }
  doc.end();
  return done;

  function steps(step: BatchRecordStep) {
    doc
      .moveDown(0.4)
      .font('Helvetica-Bold')
      .fontSize(10)
      .text(printable(`${step.segment} ${step.name}${step.critical ? ' (critical)' : ''}`));
    doc.font('Helvetica').fontSize(9);
    if (step.workInstruction) line(`Work instruction ${step.workInstruction}`);
    for (const l of step.limits)
      line(`Limit ${l.parameter}: target ${l.target}, ${l.lowerLimit} to ${l.upperLimit}${l.unit ? ` ${l.unit}` : ''}`);
    if (!step.executions.length) line('Not executed.');
    for (const e of step.executions) {
      const verdict = e.passed == null ? '' : e.passed ? ', passed' : ', FAILED';
      line(
        `${e.batch ? `Batch ${e.batch}: e` : 'E'}xecuted by ${e.operator} on ${e.equipment}, ` +
          `${when(e.startedAt)} to ${when(e.completedAt)}${verdict}` +
          `${e.verifiedBy ? `, verified by ${e.verifiedBy}` : ''}`,
        e.passed === false ? 'red' : 'black',
      );
      for (const v of e.values)
        line(
          `  ${v.parameter} = ${v.value} (limits ${v.lowerLimit} to ${v.upperLimit})` +
            (v.withinTolerance ? ' within tolerance' : ' OUT OF TOLERANCE'),
          v.withinTolerance ? 'black' : 'red',
        );
      if (e.split)
        line(
          `  Batch split: lot ${e.split.lotNumber} (${e.split.quantity}) into ` +
            e.split.parts.map((p) => `${p.lotNumber} (${p.quantity})`).join(', '),
        );
    }
  }
}
