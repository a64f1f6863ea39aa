//! `#[derive(Model)]` for the ScyllaDB ORM (skeleton: the derive lands with the Model issue).
