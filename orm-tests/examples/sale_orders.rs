fn main() {
    println!("sale_orders: the main example is not built yet");
}
