// Revenue by region from examples/data/orders.csv, with each region's best customer.
// Run it: node bin/run.js run examples/orders-by-region.ts
import { readTextFile } from './servers/filesystem';

const { content } = await readTextFile({ path: 'orders.csv' });
const [header, ...lines] = content.trim().split('\n');
const columns = header.split(',');
const orders = lines.map((line) => Object.fromEntries(line.split(',').map((value, i) => [columns[i], value])));

const regions: Record<string, { revenue: number; orders: number; top: Record<string, number> }> = {};
for (const order of orders) {
  if (order.status === 'cancelled') continue;
  const amount = Number(order.quantity) * Number(order.unit_price);
  const region = (regions[order.region] ??= { revenue: 0, orders: 0, top: {} });
  region.revenue += amount;
  region.orders += 1;
  region.top[order.customer] = (region.top[order.customer] ?? 0) + amount;
}
console.log(`${orders.length} orders read`);
return Object.entries(regions).map(([region, r]) => ({
  region,
  revenue: Math.round(r.revenue * 100) / 100,
  orders: r.orders,
  topCustomer: Object.entries(r.top).sort((a, b) => b[1] - a[1])[0][0],
}));
