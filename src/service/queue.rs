//! A queue served by one background task that starts when the first item arrives and
//! stops after a quiet spell (so a stopped application lets go of what the task
//! holds). The task takes items in batches: everything waiting, up to a limit.
//! SQLite's booking writer and PostgreSQL's event sender are built on it.

use std::{future::Future, sync::Mutex, time::Duration};

use tokio::sync::mpsc;

/// How long a task waits for an item before it stops.
const IDLE: Duration = Duration::from_secs(2);

/// The sending side: the queue of the running task, if one runs.
#[derive(Debug)]
pub struct TaskQueue<T> {
    sender: Mutex<Option<mpsc::Sender<T>>>,
}

impl<T> Default for TaskQueue<T> {
    fn default() -> Self {
        Self {
            sender: Mutex::new(None),
        }
    }
}

impl<T: Send + 'static> TaskQueue<T> {
    /// Hands `item` to the running task, starting one with `start` (given the
    /// receiving side) when none runs or the last one is stopping.
    pub async fn send<F, Fut>(&self, mut item: T, start: F)
    where
        F: Fn(mpsc::Receiver<T>) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        loop {
            let sender = {
                let mut slot = self.sender.lock().unwrap_or_else(|e| e.into_inner());
                match slot.as_ref() {
                    Some(s) if !s.is_closed() => s.clone(),
                    _ => {
                        let (s, r) = mpsc::channel(4096);
                        tokio::spawn(start(r));
                        *slot = Some(s.clone());
                        s
                    }
                }
            };
            match sender.send(item).await {
                Ok(()) => return,
                // That task was stopping: hand the item to a new one.
                Err(mpsc::error::SendError(back)) => item = back,
            }
        }
    }
}

/// The next batch for the task: every item waiting, at most `max`, after waiting for
/// the first. `None` once the queue has been quiet for a while: it is then closed (a
/// new task will take what comes next) and the task should end; what arrived just
/// before the close comes out as a last batch first.
pub async fn next_batch<T>(queue: &mut mpsc::Receiver<T>, max: usize) -> Option<Vec<T>> {
    let first = match tokio::time::timeout(IDLE, queue.recv()).await {
        Ok(Some(item)) => item,
        Ok(None) => return None,
        Err(_) => {
            queue.close();
            let mut rest = vec![];
            while let Ok(item) = queue.try_recv() {
                rest.push(item);
            }
            return (!rest.is_empty()).then_some(rest);
        }
    };
    let mut batch = vec![first];
    while batch.len() < max {
        match queue.try_recv() {
            Ok(item) => batch.push(item),
            Err(_) => break,
        }
    }
    Some(batch)
}
