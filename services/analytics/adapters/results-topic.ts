import type { AnalyticsWindowEvent } from '../../../lib/events';
import { TOPIC_ANALYTICS_RESULTS } from '../../../lib/platform';
import type { EventBus } from '../../../lib/runtime/events';

/** Publishes a closed window to `analytics-results` as a structured-mode CloudEvent keyed by its subject. */
export const resultsTopicPublisher =
  (bus: EventBus) =>
  (event: AnalyticsWindowEvent): Promise<void> =>
    bus.publish(TOPIC_ANALYTICS_RESULTS, [
      {
        key: event.subject,
        value: JSON.stringify(event),
        headers: { 'ce-id': event.id, 'ce-type': event.type, 'content-type': 'application/cloudevents+json' },
      },
    ]);
