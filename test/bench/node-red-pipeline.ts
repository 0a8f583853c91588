export async function benchPipeline() {}
